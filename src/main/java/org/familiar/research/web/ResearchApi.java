package org.familiar.research.web;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.familiar.compute.ModelNotFoundException;
import org.familiar.identity.Caller;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.ScopeMissingException;
import org.familiar.identity.Scopes;
import org.familiar.research.EvaluationNotFoundException;
import org.familiar.research.HeldOutException;
import org.familiar.research.InvalidSuiteException;
import org.familiar.research.ResearchManagement;
import org.familiar.research.ResearchSettings;
import org.apache.commons.io.input.BoundedInputStream;
import org.springframework.util.unit.DataSize;
import org.familiar.research.RunProgress;
import org.familiar.research.RunSummary;
import org.familiar.research.SuiteItem;
import org.familiar.research.UntrustedModelException;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * {@code /api/research}: suites and runs over HTTP (bearer token or session), the person's own
 * only. An app needs the {@code familiar.research} scope and never sees a held-out suite's items
 * or the replies to them. Errors are RFC 9457 problem details.
 */
@RestController
@RequestMapping("/api/research")
class ResearchApi {

	/** How often the progress stream reports. */
	private static final long PROGRESS_EVERY_MILLIS = 1000;

	private final ResearchManagement research;

	private final ResearchSettings settings;

	ResearchApi(ResearchManagement research, ResearchSettings settings) {
		this.research = research;
		this.settings = settings;
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	record SuiteJson(UUID id, String name, boolean heldOut, String canary, int items, Instant createdAt) {

		static SuiteJson of(ResearchManagement.SuiteInfo s) {
			return new SuiteJson(s.id(), s.name(), s.heldOut(), s.canary(), s.items(), s.createdAt());
		}
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	record ProgressJson(String status, int items, int graded, int correct, int failed, @Nullable Long etaSeconds) {

		static ProgressJson of(RunProgress p) {
			return new ProgressJson(p.status(), p.items(), p.graded(), p.correct(), p.failed(),
					p.eta() == null ? null : p.eta().toSeconds());
		}
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	record RunJson(UUID id, UUID suite, String suiteName, String model, ProgressJson progress, RunSummary summary) {

		static RunJson of(ResearchManagement.RunInfo r) {
			return new RunJson(r.id(), r.suite(), r.suiteName(), r.model(), ProgressJson.of(r.progress()), r.summary());
		}
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	record ItemJson(String id, Object input, String target, String grader, double tolerance, @Nullable String rubric) {

		static ItemJson of(SuiteItem item) {
			return new ItemJson(item.id(), item.input(), item.target(), item.grader().name().toLowerCase(java.util.Locale.ROOT),
					item.tolerance(), item.rubric());
		}
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	record ResultJson(String item, boolean correct, @Nullable String reply, @Nullable String error, int promptTokens,
			int completionTokens, double energyWh, long latencyMs) {

		static ResultJson of(ResearchManagement.ItemResult r) {
			return new ResultJson(r.item(), r.correct(), r.reply(), r.error(), r.promptTokens(), r.completionTokens(),
					r.energyWh(), r.latencyMs());
		}
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	record RunRequest(@Nullable UUID suite, @Nullable String model, @Nullable String graderModel, @Nullable Integer concurrency) {
	}

	record CanaryRequest(@Nullable String model) {
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	record ComparisonJson(List<RunJson> runs, List<Double> meanLatencyMs, List<ResearchManagement.Comparison.ItemDiff> differing) {
	}

	record Page<T>(List<T> data) {
	}

	/** Uploads a suite: the body is the JSONL file itself. */
	@PostMapping(path = "/suites", consumes = { "application/x-ndjson", "application/jsonl", "application/json",
			MediaType.TEXT_PLAIN_VALUE, MediaType.APPLICATION_OCTET_STREAM_VALUE })
	ResponseEntity<SuiteJson> upload(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String name,
			@RequestParam(name = "held_out", defaultValue = "false") boolean heldOut, InputStream body) throws IOException {
		var caller = researcher(me);
		if (name.isBlank() || name.length() > 200) {
			throw badRequest("'name' must be 1 to 200 characters.");
		}
		long limit = settings.maxSuiteSize().toBytes();
		// One byte past the limit may be read: a file of exactly the limit passes.
		var bounded = BoundedInputStream.builder()
			.setInputStream(body)
			.setMaxCount(limit + 1)
			.setOnMaxCount((max, count) -> {
				throw new SuiteTooLarge(limit);
			})
			.get();
		try (var reader = new InputStreamReader(bounded, StandardCharsets.UTF_8)) {
			var id = research.upload(caller.person(), name.strip(), reader, heldOut);
			return ResponseEntity.created(URI.create("/api/research/suites/" + id)).body(SuiteJson.of(research.suite(caller, id)));
		}
	}

	@GetMapping("/suites")
	Page<SuiteJson> suites(@AuthenticationPrincipal CallerPrincipal me) {
		return new Page<>(research.suites(researcher(me)).stream().map(SuiteJson::of).toList());
	}

	@GetMapping("/suites/{id}")
	SuiteJson suite(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return SuiteJson.of(research.suite(researcher(me), id));
	}

	@GetMapping("/suites/{id}/items")
	Page<ItemJson> items(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return new Page<>(research.items(researcher(me), id).stream().map(ItemJson::of).toList());
	}

	@DeleteMapping("/suites/{id}")
	ResponseEntity<Void> delete(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		research.deleteSuite(researcher(me), id);
		return ResponseEntity.noContent().build();
	}

	@PostMapping("/suites/{id}/canary")
	ResearchManagement.CanaryCheck canary(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id,
			@RequestBody CanaryRequest body) {
		if (body.model() == null || body.model().isBlank()) {
			throw badRequest("'model' is required.");
		}
		return research.canaryCheck(researcher(me), id, body.model());
	}

	/** Starts a run; it goes on in the background (202), progress at its URL or its event stream. */
	@PostMapping("/runs")
	ResponseEntity<RunJson> start(@AuthenticationPrincipal CallerPrincipal me, @RequestBody RunRequest body) {
		var caller = researcher(me);
		if (body.suite() == null || body.model() == null || body.model().isBlank()) {
			throw badRequest("'suite' and 'model' are required.");
		}
		var run = research.start(caller, body.suite(), body.model(), body.graderModel(),
				body.concurrency() == null ? 4 : body.concurrency());
		return ResponseEntity.accepted()
			.location(URI.create("/api/research/runs/" + run))
			.body(RunJson.of(research.run(caller, run)));
	}

	@GetMapping("/runs")
	Page<RunJson> runs(@AuthenticationPrincipal CallerPrincipal me) {
		return new Page<>(research.runs(researcher(me)).stream().map(RunJson::of).toList());
	}

	@GetMapping("/runs/{id}")
	RunJson run(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return RunJson.of(research.run(researcher(me), id));
	}

	@GetMapping("/runs/{id}/results")
	Page<ResultJson> results(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return new Page<>(research.results(researcher(me), id).stream().map(ResultJson::of).toList());
	}

	@PostMapping("/runs/{id}/cancel")
	RunJson cancel(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		var caller = researcher(me);
		research.cancel(caller, id);
		return RunJson.of(research.run(caller, id));
	}

	/**
	 * Server-sent events: a {@code progress} event each second while the run goes, then one
	 * {@code summary} event, then the stream ends.
	 */
	@GetMapping(path = "/runs/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	SseEmitter events(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		var caller = researcher(me);
		research.run(caller, id);
		var emitter = new SseEmitter(0L);
		Thread.ofVirtual().name("eval-events-" + id).start(() -> {
			try {
				RunProgress progress;
				do {
					progress = research.progress(id);
					emitter.send(SseEmitter.event().name("progress").data(ProgressJson.of(progress), MediaType.APPLICATION_JSON));
					if (!progress.finished()) {
						Thread.sleep(PROGRESS_EVERY_MILLIS);
					}
				}
				while (!progress.finished());
				emitter.send(SseEmitter.event().name("summary").data(research.summary(id), MediaType.APPLICATION_JSON));
				emitter.complete();
			}
			catch (IOException | IllegalStateException gone) {
				emitter.completeWithError(gone); // the client left
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				emitter.complete();
			}
			catch (EvaluationNotFoundException deleted) {
				emitter.complete();
			}
		});
		return emitter;
	}

	@GetMapping("/compare")
	ComparisonJson compare(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(name = "run") List<UUID> runs) {
		if (runs.isEmpty() || runs.size() > 10) {
			throw badRequest("Give 1 to 10 'run' ids.");
		}
		var comparison = research.compare(researcher(me), runs);
		return new ComparisonJson(comparison.runs().stream().map(RunJson::of).toList(), comparison.meanLatencyMs(),
				comparison.differing());
	}

	private static Caller researcher(CallerPrincipal me) {
		ScopeMissingException.require(me.caller(), Scopes.RESEARCH);
		return me.caller();
	}

	/** A request malformed in a way the types do not catch: a 400 problem detail (Spring's own handling). */
	private static ResponseStatusException badRequest(String detail) {
		return new ResponseStatusException(HttpStatus.BAD_REQUEST, detail);
	}

	@ExceptionHandler(SuiteTooLarge.class)
	ProblemDetail tooLarge(SuiteTooLarge ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.PAYLOAD_TOO_LARGE, ex.getMessage());
	}

	/** The upload went past familiar.research.max-suite-size. */
	static final class SuiteTooLarge extends java.io.IOException {

		SuiteTooLarge(long limit) {
			super("A suite file has at most " + DataSize.ofBytes(limit).toMegabytes()
					+ " MB (familiar.research.max-suite-size).");
		}
	}


	@ExceptionHandler(InvalidSuiteException.class)
	ProblemDetail invalid(InvalidSuiteException ex) {
		var problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
		problem.setProperty("problems", ex.problems().subList(0, Math.min(ex.problems().size(), 100)));
		return problem;
	}

	@ExceptionHandler(UntrustedModelException.class)
	ProblemDetail untrusted(UntrustedModelException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
	}

	@ExceptionHandler({ MethodArgumentTypeMismatchException.class, MissingServletRequestParameterException.class })
	ProblemDetail malformed(Exception ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex instanceof MethodArgumentTypeMismatchException mismatch
				? "'" + mismatch.getName() + "' is not a valid " + (mismatch.getRequiredType() == UUID.class ? "id" : "value") + "."
				: ex.getMessage());
	}

	@ExceptionHandler(HttpMessageNotReadableException.class)
	ProblemDetail unreadable() {
		return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
				"The body is not valid JSON for this request (see docs/api.md, Research).");
	}

	@ExceptionHandler({ EvaluationNotFoundException.class, ModelNotFoundException.class })
	ProblemDetail notFound(RuntimeException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
	}

	@ExceptionHandler({ ScopeMissingException.class, HeldOutException.class })
	ProblemDetail forbidden(RuntimeException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, ex.getMessage());
	}
}
