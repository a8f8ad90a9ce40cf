package org.familiar.identity.web;

import java.util.Arrays;
import java.util.UUID;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.InvalidAccountException;
import org.familiar.identity.TokenId;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/** A person's personal access tokens: create (shown once), list, revoke. */
@Controller
class TokenPages {

	private final IdentityManagement identity;

	TokenPages(IdentityManagement identity) {
		this.identity = identity;
	}

	@GetMapping("/settings/tokens")
	String tokens(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		model.addAttribute("tokens", identity.tokens(me.caller().person()));
		model.addAttribute("apiBase", ServletUriComponentsBuilder.fromCurrentContextPath().path("/v1").toUriString());
		model.addAttribute("workloads", Arrays.stream(WorkloadClass.values()).map(WorkloadClass::id).toList());
		return "identity/tokens";
	}

	@PostMapping("/settings/tokens")
	String create(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String label,
			@RequestParam(defaultValue = "interactive") String workload, RedirectAttributes redirect) {
		var workloadClass = WorkloadClass.parse(workload)
			.orElseThrow(() -> new InvalidAccountException("Unknown workload class " + workload));
		try {
			var issued = identity.issueToken(me.caller().person(), label, workloadClass);
			redirect.addFlashAttribute("secret", issued.secret());
			redirect.addFlashAttribute("label", issued.token().label());
		}
		catch (InvalidAccountException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
			redirect.addFlashAttribute("typedLabel", label);
		}
		return "redirect:/settings/tokens";
	}

	@PostMapping("/settings/tokens/{id}/revoke")
	String revoke(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, RedirectAttributes redirect) {
		if (!identity.revokeToken(me.caller().person(), new TokenId(id))) {
			redirect.addFlashAttribute("error", "No such token.");
		}
		return "redirect:/settings/tokens";
	}
}
