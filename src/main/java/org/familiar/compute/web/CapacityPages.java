package org.familiar.compute.web;

import java.util.List;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.ComputeManagement.BackendCapacity;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ResponseBody;

/**
 * The admin capacity page: each backend's slots, who holds them and who waits, by workload class,
 * with the configured policy; the page polls {@code /admin/capacity/live} for its charts.
 */
@Controller
class CapacityPages {

	private final ComputeManagement compute;

	private final com.fasterxml.jackson.databind.ObjectMapper json;

	CapacityPages(ComputeManagement compute, com.fasterxml.jackson.databind.ObjectMapper json) {
		this.compute = compute;
		this.json = json;
	}

	@GetMapping("/admin/capacity")
	String capacity(Model model) throws com.fasterxml.jackson.core.JsonProcessingException {
		var backends = compute.capacity();
		model.addAttribute("backends", backends);
		model.addAttribute("policy", backends.isEmpty() ? List.of() : backends.get(0).load().classes());
		model.addAttribute("totalShare",
				backends.isEmpty() ? 1 : backends.get(0).load().classes().stream().mapToDouble(c -> c.policy().share()).sum());
		model.addAttribute("energy", compute.energy());
		var grid = compute.grid();
		model.addAttribute("grid", grid);
		model.addAttribute("held", compute.heldForEnergy());
		// The forecast for its chart: inside a <script> element, so no "<" may end it early.
		model.addAttribute("forecast", json.writeValueAsString(grid.hours()).replace("<", "\\u003c"));
		return "compute/capacity";
	}

	@GetMapping("/admin/capacity/live")
	@ResponseBody
	List<BackendCapacity> live() {
		return compute.capacity();
	}
}
