package org.familiar.compute;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.familiar.compute.CompletionFinished.Outcome;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;

/**
 * The compute module's entry point: which models exist, and running a chat completion on a backend
 * that serves the model, within that backend's concurrency limit.
 *
 * <p>Every request that reaches a backend ends in exactly one {@link CompletionFinished} event,
 * whether it completed, was cancelled by its caller or failed. A backend that cannot be reached
 * before the reply starts is marked down and the next backend serving the model is tried.
 */
@Service
public class ComputeManagement {

	/** How long a request waits for a free slot on a busy backend before it is refused. */
	private static final Duration SLOT_WAIT = Duration.ofSeconds(30);

	private final ModelCatalogue catalogue;

	private final ApplicationEventPublisher events;

	private final MeterRegistry meters;

	private final Clock clock;

	ComputeManagement(ModelCatalogue catalogue, ApplicationEventPublisher events, MeterRegistry meters, Clock clock) {
		this.catalogue = catalogue;
		this.events = events;
		this.meters = meters;
		this.clock = clock;
	}

	/** Every model on every backend, with its state. */
	public List<ModelInfo> models() {
		return catalogue.models();
	}

	/**
	 * Checks that a model exists, without running anything.
	 * @throws ModelNotFoundException if no backend serves it
	 */
	public void requireModel(String model) {
		catalogue.routes(model);
	}

	/**
	 * Runs a chat completion, streaming the reply into {@code sink} on the calling thread (use a
	 * virtual thread). When the sink throws, the backend request is closed and the partial reply
	 * returned as cancelled.
	 * @throws ModelNotFoundException if no backend serves the model
	 * @throws BackendUnavailableException if no backend serving it can take the request
	 * @throws BackendFailedException if the backend failed; it carries the partial reply
	 * @throws BackendRejectedException if the backend refused the request as invalid
	 */
	public ChatResult chat(ChatRequest request, TokenSink sink) {
		BackendUnavailableException unavailable = null;
		for (var route : catalogue.routes(request.model())) {
			try {
				return chatOn(route, request, sink);
			}
			catch (BackendUnavailableException ex) {
				unavailable = ex;
			}
		}
		throw unavailable;
	}

	private ChatResult chatOn(ModelCatalogue.Route route, ChatRequest request, TokenSink sink) {
		var backend = route.entry().backend;
		var slots = route.entry().slots;
		try {
			if (!slots.tryAcquire(SLOT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
				throw new BackendUnavailableException(backend.name(),
						"Backend '" + backend.name() + "' is busy: all its slots stayed taken for " + SLOT_WAIT.toSeconds() + " s.", null);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new BackendUnavailableException(backend.name(), "Interrupted while waiting for backend '" + backend.name() + "'", ex);
		}
		var started = clock.instant();
		try {
			var result = backend.chat(request, route.upstreamModel(), sink);
			finished(request, backend.name(), result.usage(),
					result.finishReason() == FinishReason.CANCELLED ? Outcome.CANCELLED : Outcome.COMPLETED, started);
			return result;
		}
		catch (BackendFailedException ex) {
			finished(request, backend.name(), ex.partial().usage(), Outcome.FAILED, started);
			throw ex;
		}
		catch (BackendUnavailableException ex) {
			catalogue.markDown(backend.name(), ex.getMessage());
			finished(request, backend.name(), new TokenUsage(0, 0, false), Outcome.FAILED, started);
			throw ex;
		}
		catch (BackendRejectedException ex) {
			finished(request, backend.name(), new TokenUsage(0, 0, false), Outcome.FAILED, started);
			throw ex;
		}
		finally {
			slots.release();
		}
	}

	private void finished(ChatRequest request, String backend, TokenUsage usage, Outcome outcome, Instant started) {
		var duration = Duration.between(started, clock.instant());
		Timer.builder("familiar.completions")
			.description("Chat completions by backend, workload class and outcome")
			.tags("backend", backend, "workload", request.workload().id(), "outcome", outcome.name().toLowerCase())
			.register(meters)
			.record(duration);
		Counter.builder("familiar.tokens")
			.description("Tokens processed, by backend and kind")
			.tags("backend", backend, "kind", "completion")
			.register(meters)
			.increment(usage.completionTokens());
		events.publishEvent(new CompletionFinished(request.requestId(), request.requester(), request.workload(),
				request.model(), backend, usage, outcome, duration));
	}
}
