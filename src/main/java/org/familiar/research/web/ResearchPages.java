package org.familiar.research.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.ModelInfo;
import org.familiar.compute.ModelNotFoundException;
import org.familiar.identity.CallerPrincipal;
import org.familiar.research.EvaluationNotFoundException;
import org.familiar.research.InvalidSuiteException;
import org.familiar.research.ResearchManagement;
import org.familiar.research.UntrustedModelException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * Research in the web app: upload a suite, run it against models (as research work, billed to
 * the researcher's plan), watch progress with an estimate of the time left, compare runs.
 * Everything is the signed-in person's own.
 */
@Controller
class ResearchPages {

	private final ResearchManagement research;

	private final ComputeManagement compute;

	private final ObjectMapper json;

	ResearchPages(ResearchManagement research, ComputeManagement compute, ObjectMapper json) {
		this.research = research;
		this.compute = compute;
		this.json = json;
	}

	@GetMapping("/research")
	String page(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		model.addAttribute("suites", research.suites(me.caller()));
		model.addAttribute("models", compute.models().stream().filter(ModelInfo::chat).map(ModelInfo::id).distinct().toList());
		runs(me, model);
		return "research/research";
	}

	/** The runs table alone, polled by the page while runs are going. */
	@GetMapping("/research/runs")
	String runs(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		var runs = research.runs(me.caller());
		model.addAttribute("runs", runs);
		model.addAttribute("anyRunning", runs.stream().anyMatch(r -> !r.progress().finished()));
		return "research/research :: runs";
	}

	/** One run: its summary, and every item with its input, expected answer, the reply and the verdict. */
	@GetMapping("/research/runs/{run}")
	String run(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID run, Model model) {
		var info = research.run(me.caller(), run);
		var results = new java.util.HashMap<String, ResearchManagement.ItemResult>();
		research.results(me.caller(), run).forEach(r -> results.put(r.item(), r));
		var rows = research.items(me.caller(), info.suite()).stream().map(item -> new ItemRow(item.id(),
				item.input().isEmpty() ? "" : item.input().getLast().content(), item.target(), item.grader().name().toLowerCase(java.util.Locale.ROOT),
				results.get(item.id()))).toList();
		model.addAttribute("run", info);
		model.addAttribute("rows", rows);
		return "research/run";
	}

	/** An item as the run page shows it; {@code result} is none until it is graded. */
	record ItemRow(String id, String input, String target, String grader, ResearchManagement.@Nullable ItemResult result) {
	}

	@ExceptionHandler(EvaluationNotFoundException.class)
	@ResponseStatus(org.springframework.http.HttpStatus.NOT_FOUND)
	String noSuchRun() {
		return "error/404";
	}

	@PostMapping("/research/suites")
	String upload(@AuthenticationPrincipal CallerPrincipal me, @RequestParam MultipartFile file,
			@RequestParam(defaultValue = "") String name, @RequestParam(defaultValue = "false") boolean heldOut,
			RedirectAttributes redirect) throws IOException {
		var suiteName = name.isBlank() ? String.valueOf(file.getOriginalFilename()) : name.strip();
		try (var reader = new InputStreamReader(file.getInputStream(), StandardCharsets.UTF_8)) {
			research.upload(me.caller().person(), suiteName, reader, heldOut);
			redirect.addFlashAttribute("notice", "Suite '" + suiteName + "' uploaded.");
		}
		catch (InvalidSuiteException ex) {
			redirect.addFlashAttribute("error", "The suite has problems:");
			redirect.addFlashAttribute("problems", List.copyOf(ex.problems().subList(0, Math.min(ex.problems().size(), 50))));
		}
		return "redirect:/research";
	}

	@PostMapping("/research/runs")
	String start(@AuthenticationPrincipal CallerPrincipal me, @RequestParam UUID suite, @RequestParam String model,
			@RequestParam(defaultValue = "4") int concurrency, RedirectAttributes redirect) {
		try {
			research.start(me.caller(), suite, model, null, concurrency);
			redirect.addFlashAttribute("notice", "Run started on " + model + ": it uses spare capacity, so chat stays fast.");
		}
		catch (EvaluationNotFoundException | ModelNotFoundException | UntrustedModelException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/research";
	}

	@PostMapping("/research/runs/{run}/cancel")
	String cancel(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID run, RedirectAttributes redirect) {
		try {
			redirect.addFlashAttribute("notice", research.cancel(me.caller(), run) ? "Run cancelled; what it graded is kept."
					: "That run had already ended.");
		}
		catch (EvaluationNotFoundException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/research";
	}

	@PostMapping("/research/suites/delete")
	String delete(@AuthenticationPrincipal CallerPrincipal me, @RequestParam UUID suite, RedirectAttributes redirect) {
		try {
			research.deleteSuite(me.caller(), suite);
			redirect.addFlashAttribute("notice", "Suite deleted, with its runs and results.");
		}
		catch (EvaluationNotFoundException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/research";
	}

	@PostMapping("/research/suites/canary")
	String canary(@AuthenticationPrincipal CallerPrincipal me, @RequestParam UUID suite, @RequestParam String model,
			RedirectAttributes redirect) {
		try {
			var check = research.canaryCheck(me.caller(), suite, model);
			redirect.addFlashAttribute(check.contaminated() ? "error" : "notice", check.contaminated()
					? model + " reproduced the suite's canary: it has most likely seen this suite. Its results on it are not to be trusted."
					: model + " did not reproduce the canary: no sign that it has seen this suite.");
		}
		catch (IllegalArgumentException | ModelNotFoundException | UntrustedModelException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/research";
	}

	@GetMapping("/research/compare")
	String compare(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(name = "run") List<UUID> runs, Model model,
			RedirectAttributes redirect) {
		try {
			var comparison = research.compare(me.caller(), runs);
			model.addAttribute("comparison", comparison);
			// For the chart script (no inline script under the Content-Security-Policy); "<" escaped so
			// no suite or model name can end the JSON's script element.
			model.addAttribute("runsJson", json.writeValueAsString(comparison.runs()).replace("<", "\\u003c"));
		}
		catch (JsonProcessingException ex) {
			throw new IllegalStateException("Writing the comparison as JSON failed", ex);
		}
		catch (IllegalArgumentException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
			return "redirect:/research";
		}
		return "research/compare";
	}
}
