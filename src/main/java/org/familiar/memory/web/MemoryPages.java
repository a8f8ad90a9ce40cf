package org.familiar.memory.web;

import java.util.List;
import org.familiar.identity.CallerPrincipal;
import org.familiar.memory.Interview;
import org.familiar.memory.InvalidMemoryException;
import org.familiar.memory.Memory;
import org.familiar.memory.MemoryId;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemoryNotFoundException;
import org.familiar.memory.MemorySource;
import org.familiar.memory.Personality;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The memory page: what Familiar knows about the person, in plain sentences; search, add, edit,
 * forget one or all, pause; the personality; and redoing the onboarding interview.
 */
@Controller
class MemoryPages {

	private static final int SHOWN = 500;

	private final MemoryManagement memory;

	MemoryPages(MemoryManagement memory) {
		this.memory = memory;
	}

	@GetMapping("/memory")
	String page(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(required = false) @Nullable String q,
			@RequestParam(required = false) @Nullable String highlight, Model model) {
		var caller = me.caller();
		List<Memory> shown;
		if (q != null && !q.isBlank()) {
			shown = memory.search(caller, q, SHOWN);
		}
		else {
			shown = memory.memories(caller, null, SHOWN);
		}
		var profile = memory.profile(caller.person());
		model.addAttribute("preferences", shown.stream().filter(m -> m.kind() == MemoryKind.PREFERENCE).toList());
		model.addAttribute("facts", shown.stream().filter(m -> m.kind() == MemoryKind.FACT).toList());
		model.addAttribute("profile", profile);
		model.addAttribute("q", q == null ? "" : q);
		model.addAttribute("highlight", highlight == null ? "" : highlight);
		model.addAttribute("presets", Personality.Preset.values());
		model.addAttribute("questions", Interview.QUESTIONS.size());
		return "memory/memory";
	}

	@PostMapping("/memory")
	String add(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String content,
			@RequestParam(defaultValue = "fact") String kind, RedirectAttributes redirect) {
		try {
			var remembered = memory.remember(me.caller(), content, MemoryKind.of(kind), MemorySource.MANUAL, null, null);
			redirect.addFlashAttribute("notice", remembered.merged()
					? "That was close to something Familiar already knew, so it was updated instead."
					: "Remembered.");
		}
		catch (InvalidMemoryException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/memory";
	}

	@PostMapping("/memory/{id}")
	String edit(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String id, @RequestParam String content,
			@RequestParam String kind, @RequestParam(defaultValue = "false") boolean shared, RedirectAttributes redirect) {
		try {
			memory.edit(me.caller(), MemoryId.parse(id), content, MemoryKind.of(kind),
					shared ? List.of(Memory.EVERY_APP) : List.of());
			redirect.addFlashAttribute("notice", "Saved.");
		}
		catch (InvalidMemoryException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/memory?highlight=" + id;
	}

	@PostMapping("/memory/{id}/forget")
	String forget(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String id, RedirectAttributes redirect) {
		memory.forget(me.caller(), MemoryId.parse(id));
		redirect.addFlashAttribute("notice", "Forgotten for good.");
		return "redirect:/memory";
	}

	@PostMapping("/memory/forget-all")
	String forgetAll(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(defaultValue = "false") boolean confirm,
			RedirectAttributes redirect) {
		if (!confirm) {
			redirect.addFlashAttribute("error", "Tick the box to confirm that every memory should be forgotten.");
			return "redirect:/memory";
		}
		int forgotten = memory.forgetAll(me.caller().person());
		redirect.addFlashAttribute("notice", "Forgot " + forgotten + (forgotten == 1 ? " memory." : " memories."));
		return "redirect:/memory";
	}

	@PostMapping("/memory/pause")
	String pause(@AuthenticationPrincipal CallerPrincipal me, @RequestParam boolean paused, RedirectAttributes redirect) {
		memory.pause(me.caller().person(), paused);
		redirect.addFlashAttribute("notice", paused ? "Memory is paused: replies use no memories and nothing new is learned."
				: "Memory is on again.");
		return "redirect:/memory";
	}

	@PostMapping("/memory/personality")
	String personality(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String preset,
			@RequestParam int verbosity, @RequestParam int warmth, @RequestParam int humour, RedirectAttributes redirect) {
		try {
			memory.personality(me.caller().person(),
					new Personality(Personality.Preset.of(preset), verbosity, warmth, humour));
			redirect.addFlashAttribute("personalityNotice", "Personality saved; the next reply uses it.");
		}
		catch (InvalidMemoryException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/memory#personality";
	}

	@ExceptionHandler(MemoryNotFoundException.class)
	@ResponseStatus(HttpStatus.NOT_FOUND)
	String notFound() {
		return "memory/not-found";
	}
}
