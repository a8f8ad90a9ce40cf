package org.familiar.media.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.familiar.compute.BackendException;
import org.familiar.compute.BackendRejectedException;
import org.familiar.compute.BackendUnavailableException;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.ModelNotFoundException;
import org.familiar.compute.UnsupportedFieldException;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.ScopeMissingException;
import org.familiar.media.Audience;
import org.familiar.media.Character;
import org.familiar.media.CharacterKind;
import org.familiar.media.InvalidMediaException;
import org.familiar.media.MediaFile;
import org.familiar.media.MediaGeneration;
import org.familiar.media.MediaManagement;
import org.familiar.media.MediaNotFoundException;
import org.familiar.media.RightsRestrictedException;
import org.familiar.media.Verification;
import org.familiar.media.VideoJob;
import org.familiar.plans.PlanForbiddenException;
import org.familiar.plans.PlansManagement;
import org.familiar.plans.QuotaExceededException;
import org.jspecify.annotations.Nullable;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.multipart.MultipartFile;

/**
 * {@code /api/media}: a person's files (with their sidecar manifests), uploads, media usage, the
 * registry of characters and likenesses with their uses, the person's video jobs, and
 * {@code POST /api/media/verify}, which anyone may call. Errors are problem details.
 */
@RestController
@RequestMapping("/api/media")
class MediaApi {

	private final MediaManagement media;

	private final MediaGeneration generation;

	private final PlansManagement plans;

	private final VerifyThrottle throttle;

	MediaApi(MediaManagement media, MediaGeneration generation, PlansManagement plans, VerifyThrottle throttle) {
		this.throttle = throttle;
		this.media = media;
		this.generation = generation;
		this.plans = plans;
	}

	// ----- verify (public) -----

	@PostMapping(path = "/verify", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
	Verification verify(@RequestParam("file") MultipartFile file, @RequestParam(name = "manifest", required = false) @Nullable MultipartFile manifest,
			@RequestParam(name = "manifest_text", required = false) @Nullable String manifestText,
			jakarta.servlet.http.HttpServletRequest request) throws IOException {
		throttle(request);
		var sidecar = manifest != null && !manifest.isEmpty() ? new String(manifest.getBytes(), java.nio.charset.StandardCharsets.UTF_8)
				: manifestText;
		return media.verify(file.getBytes(), sidecar);
	}

	@PostMapping(path = "/verify", consumes = { MediaType.APPLICATION_OCTET_STREAM_VALUE, MediaType.IMAGE_PNG_VALUE,
			"video/mp4", MediaType.IMAGE_JPEG_VALUE, "image/webp" })
	Verification verifyBytes(@RequestBody byte[] file, jakarta.servlet.http.HttpServletRequest request) {
		throttle(request);
		return media.verify(file, null);
	}

	private void throttle(jakarta.servlet.http.HttpServletRequest request) {
		if (!throttle.allow(request.getRemoteAddr())) {
			throw new TooManyChecks();
		}
	}

	/** This address has had its share of checks for now. */
	static final class TooManyChecks extends RuntimeException {

		TooManyChecks() {
			super("This address has checked many files in the last minute; try again in a few seconds.");
		}
	}

	@ExceptionHandler
	ResponseEntity<ProblemDetail> tooMany(TooManyChecks ex) {
		return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS).header("Retry-After", "10")
			.body(ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS, ex.getMessage()));
	}

	// ----- files -----

	record FileJson(UUID id, String kind, @JsonProperty("content_type") String contentType, String origin, String label,
			@Nullable String model, @Nullable String prompt, List<String> characters, @JsonProperty("created_at") Instant createdAt,
			String content, String manifest) {

		static FileJson of(MediaFile file) {
			var base = "/api/media/files/" + file.id();
			return new FileJson(file.id(), file.kind(), file.contentType(), file.origin().id(), file.origin().label(), file.model(),
					file.prompt(), file.characters(), file.createdAt(), base + "/content", base + "/manifest");
		}
	}

	@GetMapping("/files")
	List<FileJson> files(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(defaultValue = "50") int limit) {
		return media.gallery(me.caller().person(), Math.clamp(limit, 1, 500)).stream().map(FileJson::of).toList();
	}

	@GetMapping("/files/{id}")
	FileJson file(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return FileJson.of(media.file(me.caller().person(), id));
	}

	@GetMapping("/files/{id}/content")
	ResponseEntity<byte[]> content(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		var content = media.content(me.caller().person(), id);
		return ResponseEntity.ok().contentType(MediaType.parseMediaType(content.contentType()))
			.header("Content-Disposition", ContentDisposition.inline().filename(id + extension(content.contentType())).build().toString())
			.body(content.bytes());
	}

	/** The sidecar: the file's manifest as a compact JWS, for formats that carry none inside. */
	@GetMapping("/files/{id}/manifest")
	ResponseEntity<String> manifest(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		var content = media.content(me.caller().person(), id);
		return ResponseEntity.ok().contentType(MediaType.parseMediaType("application/jose"))
			.header("Content-Disposition", ContentDisposition.attachment().filename(id + ".familiar.jws").build().toString())
			.body(content.manifest());
	}

	@DeleteMapping("/files/{id}")
	ResponseEntity<Void> delete(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		if (!media.delete(me.caller().person(), id)) {
			throw new MediaNotFoundException("No file " + id + ".");
		}
		return ResponseEntity.noContent().build();
	}

	/** A person's own file, kept with a manifest that says whether they made it without AI. */
	@PostMapping(path = "/uploads", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
	ResponseEntity<FileJson> upload(@AuthenticationPrincipal CallerPrincipal me, @RequestParam("file") MultipartFile file,
			@RequestParam(name = "human_made", defaultValue = "false") boolean humanMade) throws IOException {
		var kept = media.upload(me.caller(), file.getBytes(), humanMade);
		return ResponseEntity.status(HttpStatus.CREATED).body(FileJson.of(kept));
	}

	@GetMapping("/usage")
	PlansManagement.MediaUsage usage(@AuthenticationPrincipal CallerPrincipal me) {
		return plans.mediaUsage(me.caller().person());
	}

	// ----- video jobs, for the Create page's progress -----

	@GetMapping("/videos")
	List<VideoJob> videos(@AuthenticationPrincipal CallerPrincipal me) {
		return generation.videos(me.caller(), 50);
	}

	@GetMapping("/videos/{id}")
	VideoJob videoJob(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String id) {
		return generation.video(me.caller(), id);
	}

	// ----- the registry -----

	record CharacterBody(@Nullable String kind, @Nullable String name, @Nullable String handle, @Nullable List<String> aliases,
			@Nullable String description, @Nullable String audience, @Nullable List<String> approved,
			@JsonProperty("forbidden_themes") @Nullable List<String> forbiddenThemes, @Nullable String attribution,
			@JsonProperty("feature_me") @Nullable Boolean featureMe) {

		Character.Rules rules(String defaultHandle) {
			var kindOf = kind == null ? CharacterKind.CHARACTER : CharacterKind.of(kind);
			return new Character.Rules(kindOf, name == null ? "" : name, handle == null ? defaultHandle : handle,
					aliases == null ? List.of() : aliases, description == null ? "" : description,
					audience == null ? (kindOf == CharacterKind.LIKENESS ? Audience.ONLY_ME : Audience.EVERYONE) : Audience.of(audience),
					approved == null ? List.of() : approved, forbiddenThemes == null ? List.of() : forbiddenThemes,
					attribution == null ? "" : attribution, featureMe != null && featureMe);
		}
	}

	record CharacterJson(UUID id, String kind, String name, String handle, List<String> aliases, String description,
			String audience, List<String> approved, @JsonProperty("forbidden_themes") List<String> forbiddenThemes,
			String attribution, @JsonProperty("feature_me") boolean featureMe, @JsonProperty("withdrawn_at") @Nullable Instant withdrawnAt,
			int references) {

		static CharacterJson of(Character c) {
			return new CharacterJson(c.id(), c.kind().id(), c.name(), c.handle(), c.aliases(), c.description(), c.audience().id(),
					c.approved(), c.forbiddenThemes(), c.attribution(), c.featureMe(), c.withdrawnAt(), c.references());
		}
	}

	@GetMapping("/characters")
	List<CharacterJson> characters(@AuthenticationPrincipal CallerPrincipal me) {
		return media.held(me.caller().person()).stream().map(CharacterJson::of).toList();
	}

	@GetMapping("/characters/featured")
	List<CharacterJson> featured(@AuthenticationPrincipal CallerPrincipal me) {
		return media.featuredFor(me.caller()).stream().map(CharacterJson::of).toList();
	}

	@PostMapping(path = "/characters", consumes = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<CharacterJson> register(@AuthenticationPrincipal CallerPrincipal me, @RequestBody CharacterBody body) {
		var registered = media.register(me.caller().person(), body.rules(me.caller().username()));
		return ResponseEntity.status(HttpStatus.CREATED).body(CharacterJson.of(registered));
	}

	@GetMapping("/characters/{id}")
	CharacterJson character(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return CharacterJson.of(media.held(me.caller().person(), id));
	}

	@PutMapping(path = "/characters/{id}", consumes = MediaType.APPLICATION_JSON_VALUE)
	CharacterJson update(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, @RequestBody CharacterBody body) {
		var current = media.held(me.caller().person(), id);
		return CharacterJson.of(media.update(me.caller().person(), id, body.rules(current.handle())));
	}

	@PostMapping("/characters/{id}/withdraw")
	CharacterJson withdraw(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return CharacterJson.of(media.withdraw(me.caller().person(), id));
	}

	@PostMapping("/characters/{id}/restore")
	CharacterJson restore(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return CharacterJson.of(media.restore(me.caller().person(), id));
	}

	@PostMapping(path = "/characters/{id}/references", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
	CharacterJson reference(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id,
			@RequestParam("file") MultipartFile file) throws IOException {
		return CharacterJson.of(media.addReference(me.caller().person(), id, file.getBytes()));
	}

	@GetMapping("/characters/{id}/uses")
	List<Character.Use> uses(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id,
			@RequestParam(defaultValue = "100") int limit) {
		return media.uses(me.caller().person(), id, Math.clamp(limit, 1, 1000));
	}

	static String extension(String contentType) {
		return switch (contentType) {
			case "image/png" -> ".png";
			case "image/jpeg" -> ".jpg";
			case "image/webp" -> ".webp";
			case "video/mp4" -> ".mp4";
			default -> "";
		};
	}

	// ----- errors -----

	@ExceptionHandler
	ProblemDetail invalid(InvalidMediaException ex) {
		var problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
		if (ex.param() != null) {
			problem.setProperty("param", ex.param());
		}
		return problem;
	}

	@ExceptionHandler
	ProblemDetail rights(RightsRestrictedException ex) {
		var problem = ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, ex.getMessage());
		problem.setTitle("Rights restricted");
		problem.setProperty("code", "rights_restricted");
		problem.setProperty("rule", ex.rule());
		problem.setProperty("character", ex.character());
		return problem;
	}

	@ExceptionHandler
	ProblemDetail notFound(MediaNotFoundException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
	}

	@ExceptionHandler
	ResponseEntity<ProblemDetail> quota(QuotaExceededException ex) {
		long seconds = Math.max(1, java.time.Duration.between(Instant.now(), ex.resetsAt()).toSeconds());
		return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS).header("Retry-After", Long.toString(seconds))
			.body(ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS, ex.getMessage()));
	}

	@ExceptionHandler
	ResponseEntity<ProblemDetail> capacity(CapacityExceededException ex) {
		return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
			.header("Retry-After", Long.toString(Math.max(1, ex.retryAfter().toSeconds())))
			.body(ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS, ex.getMessage()));
	}

	@ExceptionHandler
	ProblemDetail forbidden(PlanForbiddenException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, ex.getMessage());
	}

	@ExceptionHandler
	ProblemDetail scope(ScopeMissingException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, ex.getMessage());
	}

	@ExceptionHandler
	ProblemDetail model(ModelNotFoundException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
	}

	@ExceptionHandler
	ProblemDetail unsupported(UnsupportedFieldException ex) {
		var problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
		problem.setProperty("param", ex.param());
		return problem;
	}

	@ExceptionHandler
	ProblemDetail backend(BackendException ex) {
		var status = ex instanceof BackendUnavailableException ? HttpStatus.SERVICE_UNAVAILABLE
				: ex instanceof BackendRejectedException rejected ? HttpStatus.valueOf(rejected.status()) : HttpStatus.BAD_GATEWAY;
		return ProblemDetail.forStatusAndDetail(status, ex.getMessage());
	}

	@ExceptionHandler({ HttpMessageNotReadableException.class, MultipartException.class,
			org.springframework.web.bind.MissingServletRequestParameterException.class,
			org.springframework.web.multipart.support.MissingServletRequestPartException.class })
	ProblemDetail unreadable(Exception ex) {
		if (ex instanceof org.springframework.web.multipart.MaxUploadSizeExceededException) {
			return ProblemDetail.forStatusAndDetail(HttpStatus.PAYLOAD_TOO_LARGE, "The file is too large.");
		}
		return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
				"The body is not what this endpoint takes (see docs/media.md): " + ex.getMessage());
	}

	@ExceptionHandler
	ProblemDetail badPath(MethodArgumentTypeMismatchException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "No such " + ex.getName() + ".");
	}
}
