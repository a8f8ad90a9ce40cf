package org.familiar.memory.web;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.ScopeMissingException;
import org.familiar.identity.Scopes;
import org.familiar.memory.InvalidMemoryException;
import org.familiar.memory.Memory;
import org.familiar.memory.MemoryId;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemoryNotFoundException;
import org.familiar.memory.MemorySource;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /api/memories}: a person's memories over HTTP (bearer token or session). An app's token
 * sees and changes only the memories shared with that app; what it writes is shared with it alone
 * unless it says otherwise. Errors are RFC 9457 problem details.
 */
@RestController
@RequestMapping("/api/memories")
class MemoryApi {

	private final MemoryManagement memory;

	MemoryApi(MemoryManagement memory) {
		this.memory = memory;
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	record MemoryJson(String id, String content, String kind, String source, @Nullable String sourceRef, List<String> apps,
			Instant createdAt, Instant updatedAt, @Nullable Instant lastUsedAt, int usedCount, @Nullable Double score,
			@Nullable Boolean merged) {

		static MemoryJson of(Memory m, @Nullable Double score, @Nullable Boolean merged) {
			return new MemoryJson(m.id().toString(), m.content(), m.kind().id(), m.source().id(), m.sourceRef(), m.apps(),
					m.createdAt(), m.updatedAt(), m.lastUsedAt(), m.usedCount(), score, merged);
		}
	}

	record MemoryList(List<MemoryJson> data) {
	}

	/** Both for creating (content required) and changing (anything given changes). */
	record MemoryBody(@Nullable String content, @Nullable String kind, @Nullable List<String> apps) {
	}

	/**
	 * The caller's memories, newest first; {@code q} keeps those containing it, {@code similar_to}
	 * ranks by meaning instead (with a {@code score}).
	 */
	@GetMapping
	MemoryList list(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(required = false) @Nullable String q,
			@RequestParam(name = "similar_to", required = false) @Nullable String similarTo,
			@RequestParam(defaultValue = "100") int limit) {
		ScopeMissingException.require(me.caller(), Scopes.MEMORY_READ);
		int bounded = Math.clamp(limit, 1, 1000);
		if (similarTo != null && !similarTo.isBlank()) {
			return new MemoryList(memory.related(me.caller(), similarTo, bounded, -1).stream()
				.map(s -> MemoryJson.of(s.memory(), s.score(), null))
				.toList());
		}
		return new MemoryList(memory.memories(me.caller(), q, bounded).stream().map(m -> MemoryJson.of(m, null, null)).toList());
	}

	@GetMapping("/{id}")
	MemoryJson get(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String id) {
		ScopeMissingException.require(me.caller(), Scopes.MEMORY_READ);
		return MemoryJson.of(memory.memory(me.caller(), MemoryId.parse(id)), null, null);
	}

	@PostMapping
	ResponseEntity<MemoryJson> add(@AuthenticationPrincipal CallerPrincipal me, @RequestBody MemoryBody body) {
		ScopeMissingException.require(me.caller(), Scopes.MEMORY_WRITE);
		if (body.content() == null) {
			throw new InvalidMemoryException("'content' is required.");
		}
		var remembered = memory.remember(me.caller(), body.content(), body.kind() == null ? null : MemoryKind.of(body.kind()),
				MemorySource.MANUAL, null, body.apps());
		var json = MemoryJson.of(remembered.memory(), null, remembered.merged());
		if (remembered.merged()) {
			return ResponseEntity.ok(json);
		}
		return ResponseEntity.created(URI.create("/api/memories/" + json.id())).body(json);
	}

	@PatchMapping("/{id}")
	MemoryJson change(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String id, @RequestBody MemoryBody body) {
		ScopeMissingException.require(me.caller(), Scopes.MEMORY_WRITE);
		return MemoryJson.of(memory.edit(me.caller(), MemoryId.parse(id), body.content(),
				body.kind() == null ? null : MemoryKind.of(body.kind()), body.apps()), null, null);
	}

	@DeleteMapping("/{id}")
	ResponseEntity<Void> forget(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String id) {
		ScopeMissingException.require(me.caller(), Scopes.MEMORY_WRITE);
		memory.forget(me.caller(), MemoryId.parse(id));
		return ResponseEntity.noContent().build();
	}

	@ExceptionHandler(ScopeMissingException.class)
	ProblemDetail scope(ScopeMissingException ex) {
		return problem(HttpStatus.FORBIDDEN, ex.getMessage());
	}

	@ExceptionHandler(MemoryNotFoundException.class)
	ProblemDetail notFound(MemoryNotFoundException ex) {
		return problem(HttpStatus.NOT_FOUND, ex.getMessage());
	}

	@ExceptionHandler(InvalidMemoryException.class)
	ProblemDetail invalid(InvalidMemoryException ex) {
		return problem(HttpStatus.BAD_REQUEST, ex.getMessage());
	}

	@ExceptionHandler(HttpMessageNotReadableException.class)
	ProblemDetail unreadable() {
		return problem(HttpStatus.BAD_REQUEST, "The body is not valid JSON for a memory: {\"content\", \"kind\", \"apps\"}.");
	}

	private static ProblemDetail problem(HttpStatus status, String detail) {
		return ProblemDetail.forStatusAndDetail(status, detail);
	}
}
