package org.familiar.plans.web;

import java.util.UUID;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.ConnectedApps;
import org.familiar.identity.LinkedDevice;
import org.familiar.identity.LinkedDevices;
import org.familiar.identity.Scopes;
import org.familiar.plans.PlansManagement;
import org.familiar.plans.ToolCalls;
import org.familiar.plans.UsageReport;
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
 * Connected apps and devices: every app a person let in with Sign in with Familiar, what it may
 * do, what it used of their plan, its cap and last use; change the cap or disconnect it.
 */
@Controller
class ConnectedAppsPages {

	private final ConnectedApps apps;

	private final PlansManagement plans;

	private final LinkedDevices devices;

	private final ToolCalls toolCalls;

	ConnectedAppsPages(ConnectedApps apps, PlansManagement plans, LinkedDevices devices, ToolCalls toolCalls) {
		this.apps = apps;
		this.plans = plans;
		this.devices = devices;
		this.toolCalls = toolCalls;
	}

	record Row(ConnectedApps.Connection connection, java.util.List<String> allowed, UsageReport.@Nullable Source usage,
			java.util.List<LinkedDevice> devices, java.util.List<ToolCalls.Count> toolCalls) {
	}

	@GetMapping("/settings/apps")
	String page(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		var person = me.caller().person();
		var report = plans.report(person);
		var linked = devices.of(person);
		var calls = toolCalls.of(person);
		var rows = apps.connected(person).stream().map(c -> {
			var id = UUID.fromString(c.app().registrationId());
			var usage = report.sources().stream().filter(s -> id.equals(s.id())).findFirst().orElse(null);
			return new Row(c, c.scopes().stream().filter(s -> !Scopes.OPENID.equals(s)).map(Scopes::describe).toList(), usage,
					linked.stream().filter(d -> d.clientId().equals(c.app().clientId())).toList(),
					calls.stream().filter(call -> call.app().equals(id)).toList());
		}).toList();
		model.addAttribute("rows", rows);
		model.addAttribute("window", report.usage().window());
		return "plans/apps";
	}

	@PostMapping("/settings/apps/{clientId}/revoke")
	String revoke(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String clientId, RedirectAttributes redirect) {
		if (apps.revoke(me.caller().person(), clientId)) {
			redirect.addFlashAttribute("notice", "Disconnected: its tokens no longer work.");
		}
		else {
			redirect.addFlashAttribute("error", "That app was not connected.");
		}
		return "redirect:/settings/apps";
	}

	/** Unlinks one device: its tokens stop working at once; the app's other devices stay linked. */
	@PostMapping("/settings/devices/{id}/unlink")
	String unlink(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String id, RedirectAttributes redirect) {
		if (devices.unlink(me.caller().person(), id)) {
			redirect.addFlashAttribute("notice", "Device removed: its tokens no longer work.");
		}
		else {
			redirect.addFlashAttribute("error", "No such device.");
		}
		return "redirect:/settings/apps";
	}

	@PostMapping("/settings/apps/{registrationId}/cap")
	String cap(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID registrationId,
			@RequestParam(defaultValue = "") String tokens, RedirectAttributes redirect) {
		if (apps.connected(me.caller().person()).stream().noneMatch(c -> c.app().registrationId().equals(registrationId.toString()))) {
			redirect.addFlashAttribute("error", "No such connected app.");
			return "redirect:/settings/apps";
		}
		try {
			var cap = tokens.isBlank() ? null : Long.parseLong(tokens.strip().replace(",", ""));
			plans.capApp(me.caller().person(), registrationId, cap);
			redirect.addFlashAttribute("notice", cap == null ? "Cap removed." : "Cap set.");
		}
		catch (IllegalArgumentException ex) {
			redirect.addFlashAttribute("error", "A cap is a whole number of tokens, 0 or more.");
		}
		return "redirect:/settings/apps";
	}
}
