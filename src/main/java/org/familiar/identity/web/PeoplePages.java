package org.familiar.identity.web;

import java.util.UUID;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.InvalidAccountException;
import org.familiar.identity.PersonId;
import org.familiar.identity.PersonNotFoundException;
import org.familiar.identity.SignedInSessions;
import org.jspecify.annotations.Nullable;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * Administrators look after people: add them, pick their plan from the configured ones, make or
 * remove administrators, disable, reset a forgotten password, delete.
 */
@Controller
class PeoplePages {

	private final IdentityManagement identity;

	private final SignedInSessions sessions;

	PeoplePages(IdentityManagement identity, SignedInSessions sessions) {
		this.identity = identity;
		this.sessions = sessions;
	}

	@GetMapping("/admin/people")
	String people(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		model.addAttribute("people", identity.people());
		model.addAttribute("plans", identity.planNames());
		model.addAttribute("defaultPlan", identity.defaultPlan());
		model.addAttribute("me", me.caller().person());
		return "identity/people";
	}

	@PostMapping("/admin/people")
	String add(@RequestParam String username, @RequestParam String password,
			@RequestParam(defaultValue = "false") boolean admin, @RequestParam(required = false) @Nullable String plan,
			RedirectAttributes redirect) {
		try {
			var person = identity.addPerson(username, password, admin, plan);
			redirect.addFlashAttribute("notice", "Added " + person.username() + ".");
		}
		catch (InvalidAccountException ex) {
			// The form keeps what was typed (never the password).
			redirect.addFlashAttribute("error", ex.getMessage());
			redirect.addFlashAttribute("typedUsername", username);
			redirect.addFlashAttribute("typedPlan", plan);
			redirect.addFlashAttribute("typedAdmin", admin);
		}
		return "redirect:/admin/people";
	}

	@PostMapping("/admin/people/{id}/plan")
	String changePlan(@PathVariable UUID id, @RequestParam(required = false) @Nullable String plan,
			RedirectAttributes redirect) {
		return act(redirect, id, person -> {
			identity.changePlan(person, plan);
			return "Plan of " + name(person) + " set to " + (plan == null || plan.isBlank() ? identity.defaultPlan() + " (the default)" : plan.strip()) + ".";
		});
	}

	@PostMapping("/admin/people/{id}/role")
	String role(@PathVariable UUID id, @RequestParam boolean admin, RedirectAttributes redirect) {
		return act(redirect, id, person -> {
			identity.setAdmin(person, admin);
			return name(person) + (admin ? " is now an administrator." : " is no longer an administrator.");
		});
	}

	@PostMapping("/admin/people/{id}/disable")
	String disable(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, @RequestParam boolean disabled,
			RedirectAttributes redirect) {
		return act(redirect, id, person -> {
			identity.setDisabled(me.caller().person(), person, disabled);
			return name(person) + (disabled ? " is disabled: signed out, tokens stopped, nothing deleted." : " can sign in again.");
		});
	}

	@PostMapping("/admin/people/{id}/password")
	String resetPassword(@PathVariable UUID id, @RequestParam String password, RedirectAttributes redirect) {
		return act(redirect, id, person -> {
			identity.resetPassword(person, password);
			var username = name(person);
			sessions.end(username, null, "");
			return "New password set for " + username + "; their browsers were signed out. Tell them the password, "
					+ "and to change it in Settings.";
		});
	}

	@PostMapping("/admin/people/{id}/delete")
	String delete(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, RedirectAttributes redirect) {
		return act(redirect, id, person -> {
			var username = name(person);
			identity.deletePerson(me.caller().person(), person);
			sessions.end(username, null, "");
			return "Deleted " + username + " and everything Familiar kept about them.";
		});
	}

	private String name(PersonId person) {
		return identity.person(person).orElseThrow(() -> new PersonNotFoundException(person.toString())).username();
	}

	private String act(RedirectAttributes redirect, UUID id, java.util.function.Function<PersonId, String> action) {
		try {
			redirect.addFlashAttribute("notice", action.apply(new PersonId(id)));
		}
		catch (InvalidAccountException | PersonNotFoundException ex) {
			redirect.addFlashAttribute("error", ex instanceof PersonNotFoundException ? "No such person." : ex.getMessage());
		}
		return "redirect:/admin/people";
	}
}
