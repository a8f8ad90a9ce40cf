package org.familiar.identity.web;

import java.util.Arrays;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.ConnectedApps;
import org.familiar.identity.InvalidAccountException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/** For app developers: register an app for Sign in with Familiar and see the ones you registered. */
@Controller
class DeveloperPages {

	private final ConnectedApps apps;

	DeveloperPages(ConnectedApps apps) {
		this.apps = apps;
	}

	@GetMapping("/developer/apps")
	String apps(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		model.addAttribute("apps", apps.registeredBy(me.caller().person()));
		model.addAttribute("issuer", ServletUriComponentsBuilder.fromCurrentContextPath().toUriString());
		return "identity/developer";
	}

	@PostMapping("/developer/apps")
	String register(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String name,
			@RequestParam(name = "redirect_uris", defaultValue = "") String redirectUris,
			@RequestParam(defaultValue = "public") String type, @RequestParam(defaultValue = "false") boolean device,
			@RequestParam(name = "logo_uri", defaultValue = "") String logoUri, RedirectAttributes redirect) {
		try {
			var registered = apps.register(me.caller().person(), name, Arrays.asList(redirectUris.split("\\s+")),
					"confidential".equals(type), device, logoUri);
			redirect.addFlashAttribute("registered", registered.app());
			redirect.addFlashAttribute("secret", registered.secret());
		}
		catch (InvalidAccountException ex) {
			// The form keeps what was typed.
			redirect.addFlashAttribute("error", ex.getMessage());
			redirect.addFlashAttribute("typed", java.util.Map.of("name", name, "redirect_uris", redirectUris, "type", type,
					"device", device, "logo_uri", logoUri));
		}
		return "redirect:/developer/apps";
	}

	@PostMapping("/developer/apps/{clientId}/delete")
	String delete(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String clientId, RedirectAttributes redirect) {
		if (apps.delete(me.caller().person(), clientId)) {
			redirect.addFlashAttribute("notice", "The app is deleted; its sign-ins and tokens stopped.");
		}
		else {
			redirect.addFlashAttribute("error", "You registered no app with that client id.");
		}
		return "redirect:/developer/apps";
	}

	@PostMapping("/developer/apps/{clientId}/secret")
	String rotate(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String clientId, RedirectAttributes redirect) {
		try {
			redirect.addFlashAttribute("rotated", clientId);
			redirect.addFlashAttribute("secret", apps.rotateSecret(me.caller().person(), clientId));
		}
		catch (InvalidAccountException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/developer/apps";
	}
}
