package org.familiar.identity.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.InvalidAccountException;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.web.authentication.logout.SecurityContextLogoutHandler;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** A person's account: download everything Familiar keeps about them, or delete it all. */
@Controller
class AccountSettingsPages {

	private final IdentityManagement identity;

	AccountSettingsPages(IdentityManagement identity) {
		this.identity = identity;
	}

	@GetMapping("/settings/account")
	String account(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		model.addAttribute("person", identity.person(me.caller().username()));
		return "identity/account";
	}

	@GetMapping(path = "/settings/account/export", produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<Map<String, Object>> export(@AuthenticationPrincipal CallerPrincipal me) {
		var name = "familiar-" + me.caller().username() + "-" + LocalDate.now(ZoneOffset.UTC) + ".json";
		return ResponseEntity.ok()
			.header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment().filename(name).build().toString())
			.body(identity.export(me.caller().person()));
	}

	@PostMapping("/settings/account/delete")
	String delete(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String password,
			@RequestParam(defaultValue = "false") boolean confirm, Authentication authentication,
			HttpServletRequest request, HttpServletResponse response, RedirectAttributes redirect) {
		if (!confirm) {
			redirect.addFlashAttribute("error", "Tick the box to confirm that everything should be erased.");
			return "redirect:/settings/account";
		}
		try {
			identity.deleteAccount(me.caller().person(), password);
		}
		catch (InvalidAccountException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
			return "redirect:/settings/account";
		}
		new SecurityContextLogoutHandler().logout(request, response, authentication);
		return "redirect:/login?deleted";
	}
}
