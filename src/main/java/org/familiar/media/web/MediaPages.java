package org.familiar.media.web;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.familiar.compute.BackendException;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.ModelInfo;
import org.familiar.compute.UnsupportedFieldException;
import org.familiar.identity.CallerPrincipal;
import org.familiar.media.Audience;
import org.familiar.media.Character;
import org.familiar.media.CharacterKind;
import org.familiar.media.InvalidMediaException;
import org.familiar.media.MediaGeneration;
import org.familiar.media.MediaManagement;
import org.familiar.media.MediaNotFoundException;
import org.familiar.media.RightsRestrictedException;
import org.familiar.plans.PlanForbiddenException;
import org.familiar.plans.PlansManagement;
import org.familiar.plans.QuotaExceededException;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/**
 * The web app's media pages: <em>Create</em> (a prompt, the videos under way with their progress,
 * the gallery with each file's label, uploads), <em>Characters</em> (what a person holds, its
 * rules and its uses) and the public <em>Verify</em>; also the {@code url} links of generated
 * images. Forms post and redirect, so they work without script; {@code media.js} shows a video's
 * progress as it goes.
 */
@Controller
class MediaPages {

	private final MediaManagement media;

	private final MediaGeneration generation;

	private final PlansManagement plans;

	private final ComputeManagement compute;

	private final com.fasterxml.jackson.databind.ObjectMapper json;

	private final VerifyThrottle throttle;

	MediaPages(MediaManagement media, MediaGeneration generation, PlansManagement plans, ComputeManagement compute,
			com.fasterxml.jackson.databind.ObjectMapper json, VerifyThrottle throttle) {
		this.throttle = throttle;
		this.media = media;
		this.generation = generation;
		this.plans = plans;
		this.compute = compute;
		this.json = json;
	}

	@GetMapping("/create")
	String create(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		var person = me.caller().person();
		var models = compute.models();
		model.addAttribute("imageModels", models.stream().filter(m -> ModelInfo.IMAGE.equals(m.kind())).map(ModelInfo::id).distinct().toList());
		model.addAttribute("videoModels", models.stream().filter(m -> ModelInfo.VIDEO.equals(m.kind())).map(ModelInfo::id).distinct().toList());
		model.addAttribute("files", media.gallery(person, 60));
		model.addAttribute("jobs", generation.videos(me.caller(), 10).stream().filter(j -> !j.done()).toList());
		model.addAttribute("failedJobs", generation.videos(me.caller(), 5).stream().filter(j -> j.status() == org.familiar.media.VideoJob.Status.FAILED).toList());
		model.addAttribute("featured", media.featuredFor(me.caller()));
		var usage = plans.mediaUsage(person);
		model.addAttribute("usage", usage);
		model.addAttribute("energy", String.format(java.util.Locale.ROOT, "%.1f", usage.energyWh()));
		return "media/create";
	}

	@PostMapping("/create")
	String make(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String prompt, @RequestParam(defaultValue = "image") String kind,
			@RequestParam(required = false) @Nullable String model, @RequestParam(defaultValue = "1") String n,
			@RequestParam(defaultValue = "4") String seconds, RedirectAttributes redirect) {
		var body = json.createObjectNode().put("prompt", prompt);
		if (model != null && !model.isBlank()) {
			body.put("model", model);
		}
		try {
			if ("video".equals(kind)) {
				body.put("seconds", seconds);
				generation.startVideo(me.caller(), body);
				redirect.addFlashAttribute("notice", "video");
			}
			else {
				body.put("n", n);
				var link = ServletUriComponentsBuilder.fromCurrentContextPath().path("/media/link/").toUriString();
				generation.generateImages(me.caller(), body.put("response_format", "url"), link);
				redirect.addFlashAttribute("notice", "image");
			}
		}
		catch (RightsRestrictedException | InvalidMediaException | QuotaExceededException | PlanForbiddenException
				| UnsupportedFieldException | CapacityExceededException | BackendException
				| org.familiar.compute.ModelNotFoundException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
			redirect.addFlashAttribute("prompt", prompt);
		}
		return "redirect:/create";
	}

	@PostMapping("/create/upload")
	String upload(@AuthenticationPrincipal CallerPrincipal me, @RequestParam("file") MultipartFile file,
			@RequestParam(name = "human_made", defaultValue = "false") boolean humanMade, RedirectAttributes redirect)
			throws IOException {
		try {
			media.upload(me.caller(), file.getBytes(), humanMade);
			redirect.addFlashAttribute("notice", "upload");
		}
		catch (InvalidMediaException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/create";
	}

	@PostMapping("/create/{id}/delete")
	String delete(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		media.delete(me.caller().person(), id);
		return "redirect:/create";
	}

	// ----- characters -----

	@GetMapping("/characters")
	String characters(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		var person = me.caller().person();
		var held = media.held(person);
		model.addAttribute("held", held.stream().map(c -> new Held(c, media.uses(person, c.id(), 50))).toList());
		model.addAttribute("hasLikeness", held.stream().anyMatch(c -> c.kind() == CharacterKind.LIKENESS));
		model.addAttribute("username", me.caller().username());
		return "media/characters";
	}

	/** An entry with its latest uses. */
	record Held(Character character, List<Character.Use> uses) {

		public long allowed() {
			return uses.stream().filter(Character.Use::allowed).count();
		}
	}

	@PostMapping("/characters")
	String register(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(defaultValue = "character") String kind,
			@RequestParam String name, @RequestParam(defaultValue = "") String handle, @RequestParam(defaultValue = "") String aliases,
			@RequestParam(defaultValue = "") String description, @RequestParam(defaultValue = "only_me") String audience,
			@RequestParam(defaultValue = "") String approved, @RequestParam(defaultValue = "") String forbidden,
			@RequestParam(defaultValue = "") String attribution, @RequestParam(name = "feature_me", defaultValue = "false") boolean featureMe,
			RedirectAttributes redirect) {
		try {
			var kindOf = CharacterKind.of(kind);
			media.register(me.caller().person(), new Character.Rules(kindOf, name,
					handle.isBlank() && kindOf == CharacterKind.LIKENESS ? me.caller().username() : handle, list(aliases), description,
					Audience.of(audience), list(approved), list(forbidden), attribution, featureMe));
			redirect.addFlashAttribute("notice", "registered");
		}
		catch (InvalidMediaException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/characters";
	}

	@PostMapping("/characters/{id}")
	String update(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, @RequestParam String name,
			@RequestParam String handle, @RequestParam(defaultValue = "") String aliases, @RequestParam(defaultValue = "") String description,
			@RequestParam String audience, @RequestParam(defaultValue = "") String approved,
			@RequestParam(defaultValue = "") String forbidden, @RequestParam(defaultValue = "") String attribution,
			@RequestParam(name = "feature_me", defaultValue = "false") boolean featureMe, RedirectAttributes redirect) {
		try {
			media.update(me.caller().person(), id, new Character.Rules(CharacterKind.CHARACTER, name, handle, list(aliases), description,
					Audience.of(audience), list(approved), list(forbidden), attribution, featureMe));
			redirect.addFlashAttribute("notice", "saved");
		}
		catch (InvalidMediaException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/characters";
	}

	@PostMapping("/characters/{id}/withdraw")
	String withdraw(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, RedirectAttributes redirect) {
		media.withdraw(me.caller().person(), id);
		redirect.addFlashAttribute("notice", "withdrawn");
		return "redirect:/characters";
	}

	@PostMapping("/characters/{id}/restore")
	String restore(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		media.restore(me.caller().person(), id);
		return "redirect:/characters";
	}

	@PostMapping("/characters/{id}/references")
	String reference(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, @RequestParam("file") MultipartFile file,
			RedirectAttributes redirect) throws IOException {
		try {
			media.addReference(me.caller().person(), id, file.getBytes());
			redirect.addFlashAttribute("notice", "reference");
		}
		catch (InvalidMediaException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/characters";
	}

	private static List<String> list(String text) {
		return Arrays.stream(text.split("[,\\n]")).map(String::strip).filter(s -> !s.isEmpty()).toList();
	}

	// ----- verify (public) and links -----

	@GetMapping("/verify")
	String verifyPage() {
		return "media/verify";
	}

	@PostMapping("/verify")
	String verify(@RequestParam("file") MultipartFile file, @RequestParam(name = "manifest", required = false) @Nullable MultipartFile manifest,
			Model model, jakarta.servlet.http.HttpServletRequest request) throws IOException {
		if (!throttle.allow(request.getRemoteAddr())) {
			model.addAttribute("error", "You have checked many files in the last minute; try again in a few seconds.");
			return "media/verify";
		}
		if (file.isEmpty()) {
			model.addAttribute("error", "Choose a file to check.");
			return "media/verify";
		}
		try {
			var sidecar = manifest != null && !manifest.isEmpty()
					? new String(manifest.getBytes(), java.nio.charset.StandardCharsets.UTF_8) : null;
			model.addAttribute("result", media.verify(file.getBytes(), sidecar));
			model.addAttribute("fileName", file.getOriginalFilename());
		}
		catch (InvalidMediaException ex) {
			model.addAttribute("error", ex.getMessage());
		}
		return "media/verify";
	}

	@GetMapping("/media/link/{key}")
	ResponseEntity<byte[]> linked(@PathVariable String key) {
		try {
			var content = media.linked(key);
			return ResponseEntity.ok().contentType(MediaType.parseMediaType(content.contentType())).body(content.bytes());
		}
		catch (MediaNotFoundException ex) {
			return ResponseEntity.notFound().build();
		}
	}

	@org.springframework.web.bind.annotation.ExceptionHandler(MediaNotFoundException.class)
	ResponseEntity<String> notFound() {
		return ResponseEntity.notFound().build();
	}
}
