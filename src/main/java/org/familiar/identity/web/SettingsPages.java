package org.familiar.identity.web;

import org.familiar.compute.ComputeManagement;
import org.familiar.compute.ModelInfo;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.InvalidAccountException;
import org.familiar.identity.Preferences;
import org.familiar.identity.SignedInSessions;
import org.jspecify.annotations.Nullable;
import org.springframework.context.MessageSource;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * A person's settings: theme, language, the model new chats start with, their password, and the
 * browsers signed in to their account.
 */
@Controller
class SettingsPages {

	private final IdentityManagement identity;

	private final ComputeManagement compute;

	private final MessageSource messages;

	private final SignedInSessions sessions;

	SettingsPages(IdentityManagement identity, ComputeManagement compute, MessageSource messages, SignedInSessions sessions) {
		this.identity = identity;
		this.compute = compute;
		this.messages = messages;
		this.sessions = sessions;
	}

	@GetMapping("/settings")
	String settings(@AuthenticationPrincipal CallerPrincipal me, Model model, jakarta.servlet.http.HttpSession session) {
		if (!model.containsAttribute("preferences")) {
			model.addAttribute("preferences", identity.preferences(me.caller().person()));
		}
		model.addAttribute("themes", Preferences.THEMES);
		model.addAttribute("languages", Preferences.LANGUAGES);
		model.addAttribute("models", compute.models().stream().filter(ModelInfo::chat).map(ModelInfo::id).distinct().toList());
		model.addAttribute("sessions", sessions.of(me.caller().username(), session.getId()));
		return "identity/settings";
	}

	@PostMapping("/settings/preferences")
	String preferences(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(defaultValue = "system") String theme,
			@RequestParam(required = false) @Nullable String language,
			@RequestParam(name = "default_model", required = false) @Nullable String defaultModel,
			RedirectAttributes redirect, java.util.Locale locale) {
		try {
			var chosen = new Preferences(theme, language, defaultModel);
			identity.savePreferences(me.caller().person(), chosen);
			var shown = chosen.locale() != null ? chosen.locale() : locale;
			redirect.addFlashAttribute("notice", messages.getMessage("settings.saved", null, shown));
		}
		catch (InvalidAccountException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/settings";
	}

	@PostMapping("/settings/password")
	String password(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String current, @RequestParam String password,
			@RequestParam String confirm, RedirectAttributes redirect, java.util.Locale locale,
			jakarta.servlet.http.HttpSession session) {
		try {
			if (!password.equals(confirm)) {
				throw new InvalidAccountException(messages.getMessage("settings.password.mismatch", null, locale));
			}
			identity.changePassword(me.caller().person(), current, password);
			// Whoever else knew the old password is signed out with it.
			int ended = sessions.end(me.caller().username(), null, session.getId());
			redirect.addFlashAttribute("passwordNotice", messages.getMessage("settings.password.changed", new Object[] { ended }, locale));
		}
		catch (InvalidAccountException ex) {
			redirect.addFlashAttribute("passwordError", ex.getMessage());
		}
		return "redirect:/settings#password";
	}

	/** Signs out one of the person's other browsers (or all of them). */
	@PostMapping("/settings/sessions/sign-out")
	String signOut(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(required = false) @Nullable String session,
			jakarta.servlet.http.HttpSession mine, RedirectAttributes redirect, java.util.Locale locale) {
		int ended = sessions.end(me.caller().username(), session, mine.getId());
		redirect.addFlashAttribute("sessionsNotice", messages.getMessage("settings.sessions.ended", new Object[] { ended }, locale));
		return "redirect:/settings#sessions";
	}
}
