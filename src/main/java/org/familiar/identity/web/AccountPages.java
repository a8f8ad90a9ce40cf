package org.familiar.identity.web;

import org.familiar.identity.IdentityManagement;
import org.familiar.identity.InvalidAccountException;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;

/** The first-run page that creates the administrator, and the sign-in page. */
@Controller
class AccountPages {

	private final IdentityManagement identity;

	AccountPages(IdentityManagement identity) {
		this.identity = identity;
	}

	@GetMapping("/login")
	String login() {
		return identity.hasPeople() ? "identity/login" : "redirect:/setup";
	}

	@GetMapping("/setup")
	String setup() {
		return identity.hasPeople() ? "redirect:/login" : "identity/setup";
	}

	@PostMapping("/setup")
	String createFirstAccount(@RequestParam String username, @RequestParam String password,
			@RequestParam String confirm, Model model) {
		try {
			if (!password.equals(confirm)) {
				throw new InvalidAccountException("The two passwords differ.");
			}
			identity.createFirstAccount(username, password);
			return "redirect:/login?created";
		}
		catch (InvalidAccountException ex) {
			model.addAttribute("error", ex.getMessage());
			model.addAttribute("username", username);
			return "identity/setup";
		}
	}
}
