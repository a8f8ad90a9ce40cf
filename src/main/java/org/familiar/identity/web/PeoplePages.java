package org.familiar.identity.web;

import org.familiar.identity.IdentityManagement;
import org.familiar.identity.InvalidAccountException;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import java.util.UUID;
import org.familiar.identity.PersonId;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Administrators add people. */
@Controller
class PeoplePages {

	private final IdentityManagement identity;

	PeoplePages(IdentityManagement identity) {
		this.identity = identity;
	}

	@GetMapping("/admin/people")
	String people(Model model) {
		model.addAttribute("people", identity.people());
		return "identity/people";
	}

	@PostMapping("/admin/people")
	String add(@RequestParam String username, @RequestParam String password,
			@RequestParam(defaultValue = "false") boolean admin, @RequestParam(required = false) String plan,
			RedirectAttributes redirect) {
		try {
			var person = identity.addPerson(username, password, admin, plan);
			redirect.addFlashAttribute("notice", "Added " + person.username() + ".");
		}
		catch (InvalidAccountException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/admin/people";
	}

	@PostMapping("/admin/people/{id}/plan")
	String changePlan(@PathVariable UUID id, @RequestParam(required = false) String plan, RedirectAttributes redirect) {
		identity.changePlan(new PersonId(id), plan);
		redirect.addFlashAttribute("notice", "Plan changed.");
		return "redirect:/admin/people";
	}
}
