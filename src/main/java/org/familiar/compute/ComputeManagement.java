package org.familiar.compute;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.familiar.compute.CompletionFinished.Outcome;
import org.familiar.compute.capacity.CapacityScheduler;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;

/**
 * The compute module's entry point: which models exist, and running a chat completion on the
 * least-loaded healthy backend that serves the model, admitted by that backend's capacity
 * scheduler.
 *
 * <p>Every call to {@link #chat} ends in exactly one {@link CompletionFinished} event: completed,
 * cancelled, failed, or refused (it never ran). A backend that cannot be reached, or answers with a
 * server error before the reply starts, counts against its circuit breaker and the next backend
 * serving the model is tried; once the reply has started, a failure ends it.
 */
@Service
public class ComputeManagement {

	private final ModelCatalogue catalogue;

	private final ComputeSettings settings;

	private final ApplicationEventPublisher events;

	private final CapacityMeters meters;

	private final Clock clock;

	private final AtomicLong turn = new AtomicLong();

	private final PowerMeters power;

	private final EnergyPolicies energy;

	private final GridSignal grid;

	ComputeManagement(ModelCatalogue catalogue, ComputeSettings settings, ApplicationEventPublisher events,
			CapacityMeters meters, Clock clock, PowerMeters power, EnergyPolicies energy, GridSignal grid) {
		this.catalogue = catalogue;
		this.settings = settings;
		this.events = events;
		this.meters = meters;
		this.clock = clock;
		this.power = power;
		this.energy = energy;
		this.grid = grid;
	}

	/**
	 * Work that waits for its class's clean or cheap hours, or for its daily energy budget.
	 * @param what what it is, in a few words ("evaluation run 3f2a…", "memory extraction")
	 * @param reason why it waits, in plain words, with its expected start
	 */
	public record HeldWork(String what, WorkloadClass workload, Instant submitted, Instant expectedStart, String reason) {
	}

	/**
	 * Waits (on the calling thread; use a virtual thread) until the energy policy of {@code workload}
	 * lets work submitted at {@code submitted} start: at once for interactive and app traffic, for a
	 * class without a policy, and once the policy's deadline has come; otherwise in the class's
	 * window ({@code familiar.energy.policies.CLASS}). Meanwhile it is listed by {@link #heldForEnergy()}.
	 * @return {@code false} if {@code cancelled} said so or the thread was interrupted while it waited
	 */
	public boolean awaitEnergyWindow(WorkloadClass workload, Instant submitted, String what, BooleanSupplier cancelled) {
		return energy.await(workload, submitted, what, cancelled);
	}

	/** Whether work of the class submitted then may start now, and if not, when it is expected to. */
	public EnergyWindow.Decision energyWindow(WorkloadClass workload, Instant submitted) {
		return energy.decide(workload, submitted);
	}

	/** What waits for an energy window now, the soonest to start first. */
	public List<HeldWork> heldForEnergy() {
		return energy.held();
	}

	/** Wakes held work to decide again (after the forecast changed, or a test moved the clock). */
	public void reconsiderEnergyWindows() {
		grid.refresh();
		energy.reconsider();
	}

	/** The grid's carbon intensity (gCO₂/kWh) at {@code at} by the forecast, or {@code null} where it is not known. */
	public @Nullable Double carbonIntensity(Instant at) {
		return EnergyWindow.carbonAt(grid.forecast(), at);
	}

	/**
	 * The grid forecast and where it comes from, for the Capacity page.
	 * @param source the file or feed, empty if none is configured
	 * @param problem why it could not be read last time, or {@code null}
	 * @param policies each class's policy
	 */
	public record Grid(String source, @Nullable String problem, List<GridHour> hours,
			Map<WorkloadClass, EnergySettings.Policy> policies) {
	}

	public Grid grid() {
		return new Grid(grid.source(), grid.problem(), grid.forecast(), energy.policies());
	}

	/**
	 * A backend's energy figures for the Capacity page.
	 * @param joulesPerPromptToken the configured (or default) estimate
	 * @param calibration measured over estimated energy of its measured requests, {@code null} before
	 *     there are enough (or without a power source)
	 * @param measured its power source's readings, {@code null} without one
	 */
	public record BackendEnergy(String backend, double joulesPerPromptToken, double joulesPerCompletionToken,
			@Nullable Double calibration, @Nullable PowerReading measured) {
	}

	/**
	 * @param watts the draw at the last scrape
	 * @param problem why the last scrape failed, or {@code null}
	 */
	public record PowerReading(String url, String metric, @Nullable Instant lastScrape, @Nullable Double watts,
			double measuredJoules, double idleJoules, long measuredRequests, @Nullable String problem) {
	}

	public List<BackendEnergy> energy() {
		return catalogue.entries().stream().map(entry -> {
			var m = power.measurement(entry.backend.name());
			return new BackendEnergy(entry.backend.name(), entry.energy.joulesPerPromptToken(),
					entry.energy.joulesPerCompletionToken(), m == null ? null : m.calibration(),
					m == null ? null : new PowerReading(m.url(), m.metric(), m.lastScrape(), m.watts(), m.measuredJoules(),
							m.idleJoules(), m.measuredRequests(), m.problem()));
		}).toList();
	}

	/** Every model on every backend, with its state, and the aliases. */
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
	 * Checks that the model exists and that a backend serving it can honour every field of the request.
	 * @throws ModelNotFoundException if no backend serves it
	 * @throws UnsupportedFieldException naming the first field none of them can honour
	 */
	public void check(ChatRequest request) {
		String refused = null;
		for (var route : catalogue.routes(request.model())) {
			refused = route.entry().backend.unsupported(request);
			if (refused == null) {
				return;
			}
		}
		if (refused != null) {
			throw unsupported(request, refused);
		}
	}

	private static UnsupportedFieldException unsupported(ChatRequest request, String field) {
		if (field.equals("model")) {
			var endpoint = request.passThrough() == null ? PassThrough.CHAT : request.passThrough().endpoint();
			return new UnsupportedFieldException(field, "The model '" + request.model() + "' does not serve /v1/" + endpoint
					+ " (familiar-embed only embeds; the embedded engine only chats). GET /v1/models lists the models.");
		}
		return new UnsupportedFieldException(field, "The model '" + request.model() + "' runs on a backend that cannot honour '"
				+ field + "' (the embedded engine takes text messages, max_tokens and temperature only). Leave it out, "
				+ "or serve this model from a model server that supports it (familiar.backends.NAME.url).");
	}

	/**
	 * How many tokens the model reads at once (prompt and reply), as its backends are configured
	 * ({@code familiar.backends.NAME.context-length}); the largest where several serve it.
	 * @throws ModelNotFoundException if no backend serves it
	 */
	public int contextLength(String model) {
		return catalogue.routes(model).stream().mapToInt(route -> route.entry().contextLength).max().orElse(0);
	}

	/**
	 * Whether a backend configured as trusted serves the model (the embedded engine always is).
	 * @throws ModelNotFoundException if no backend serves the model at all
	 */
	public boolean servedByTrusted(String model) {
		return catalogue.routes(model).stream().anyMatch(route -> route.entry().trusted);
	}

	/** Each backend's slots, load by workload class and breaker state, for the admin page. */
	public List<BackendCapacity> capacity() {
		return catalogue.entries()
			.stream()
			.map(entry -> new BackendCapacity(entry.scheduler.load(), entry.healthy,
					entry.breaker.getState().name().toLowerCase(), entry.weight))
			.toList();
	}

	/**
	 * One backend's capacity right now.
	 * @param breaker {@code closed}, {@code open} or {@code half_open}
	 */
	public record BackendCapacity(CapacityScheduler.Load load, boolean healthy, String breaker, double weight) {
	}

	/**
	 * Runs a chat completion, streaming the reply into {@code sink} on the calling thread (use a
	 * virtual thread). The request may first wait for a slot, holding no backend connection; while
	 * it waits, {@link TokenSink#callerGone()} is polled and a caller that left gives up its place.
	 * When the sink throws, the backend request is closed and the partial reply returned as
	 * cancelled.
	 * @throws ModelNotFoundException if no backend serves the model
	 * @throws CapacityExceededException if the request's class queue is full or it waited too long
	 * @throws BackendUnavailableException if no backend serving it can take the request
	 * @throws BackendFailedException if the backend failed; it carries the partial reply
	 * @throws BackendRejectedException if the backend refused the request as invalid
	 */
	public ChatResult chat(ChatRequest request, TokenSink sink) {
		var started = clock.instant();
		var attempt = new Attempt();
		try {
			var result = attempt.run(request, sink);
			attempt.outcome = attempt.leftWhileWaiting ? Outcome.REFUSED
					: result.finishReason() == FinishReason.CANCELLED ? Outcome.CANCELLED : Outcome.COMPLETED;
			attempt.usage = result.usage();
			return result;
		}
		catch (BackendFailedException ex) {
			attempt.outcome = Outcome.FAILED;
			attempt.usage = ex.partial().usage();
			throw ex;
		}
		catch (BackendException ex) {
			attempt.outcome = Outcome.FAILED;
			throw ex;
		}
		finally {
			var ended = clock.instant();
			var duration = Duration.between(started, ended);
			double wh = 0;
			if (attempt.entry != null) {
				var backend = attempt.entry.backend.name();
				wh = attempt.entry.energy.wattHours(attempt.usage) * power.calibration(backend);
				if (attempt.ran) {
					power.ended(backend, request.requestId(), wh * 3600);
				}
				if (attempt.outcome != Outcome.REFUSED) {
					meters.completed(backend, request.workload(), request.requester(), attempt.outcome, duration,
							Duration.ofNanos(System.nanoTime() - attempt.admittedAt), attempt.usage, wh, power.measures(backend));
					energy.used(request.workload(), ended, wh);
				}
			}
			events.publishEvent(new CompletionFinished(request.requestId(), request.requester(), request.workload(),
					request.model(), attempt.entry == null ? "" : attempt.entry.backend.name(), attempt.usage, wh,
					attempt.outcome, duration));
		}
	}

	/**
	 * Runs image or video work on the least-loaded healthy backend that serves the model as that
	 * kind, holding one of its slots (admitted as {@link WorkloadClass#BATCH}) until the work
	 * returns. A backend that cannot be reached before anything was made counts against its breaker
	 * and the next one is tried. Metering is the caller's: the work's result says what was made.
	 * @throws ModelNotFoundException if no backend serves the model
	 * @throws UnsupportedFieldException if it serves it, but not as {@code kind} (param {@code model})
	 * @throws CapacityExceededException if the batch queue is full or the work waited too long
	 * @throws BackendUnavailableException if no backend serving it can take the work
	 */
	public <T> T media(MediaCall call, MediaBackend.Work<T> work) {
		var routes = catalogue.routes(call.model()).stream()
			.filter(route -> route.entry().backend instanceof org.familiar.compute.openai.OpenAiBackend
					&& call.kind().equals(route.entry().kind(route.upstreamModel())))
			.toList();
		if (routes.isEmpty()) {
			throw new UnsupportedFieldException("model", "The model '" + call.model() + "' does not make "
					+ (ModelInfo.IMAGE.equals(call.kind()) ? "images" : "videos") + " on any backend. Pick one whose kind is '"
					+ call.kind() + "' in GET /v1/models, or list it under familiar.backends.NAME."
					+ (ModelInfo.IMAGE.equals(call.kind()) ? "image-models" : "video-models") + ".");
		}
		BackendUnavailableException unavailable = null;
		for (var route : plan(routes)) {
			var entry = route.entry();
			if (!entry.usable() && entry.breaker.getState() == CircuitBreaker.State.OPEN) {
				unavailable = breakerOpen(entry);
				continue;
			}
			var ticket = entry.scheduler.request(WorkloadClass.BATCH, call.requester());
			long admitted = 0;
			try {
				awaitMediaSlot(ticket, entry);
				admitted = System.nanoTime();
				long start = admitted;
				if (!entry.breaker.tryAcquirePermission()) {
					unavailable = breakerOpen(entry);
					continue;
				}
				var http = (org.familiar.compute.openai.OpenAiBackend) entry.backend;
				power.started(entry.backend.name(), call.requestId(), call.requester(), WorkloadClass.BATCH);
				var backend = new MediaBackend() {

					@Override
					public String name() {
						return entry.backend.name();
					}

					@Override
					public String upstreamModel() {
						return route.upstreamModel();
					}

					@Override
					public ComputeSettings.MediaEnergy energy() {
						return entry.mediaEnergy;
					}

					@Override
					public MediaReply post(String path, com.fasterxml.jackson.databind.node.ObjectNode body) {
						return http.exchange(path, body, call.requester());
					}

					@Override
					public MediaReply postForm(String path, java.util.Map<String, String> fields, List<MediaBackend.Part> files) {
						return http.exchangeForm(path, fields, files, call.requester());
					}

					@Override
					public MediaReply get(String path) {
						return http.exchange(path, null, call.requester());
					}
				};
				try {
					var result = work.run(backend);
					entry.breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
					return result;
				}
				catch (BackendUnavailableException ex) {
					entry.breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, ex);
					meters.backendError(entry.backend.name(), ex);
					unavailable = ex;
				}
				catch (BackendFailedException ex) {
					// A server error: it counts against the backend, but the work may have been half done, so no retry.
					entry.breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, ex);
					meters.backendError(entry.backend.name(), ex);
					throw ex;
				}
				catch (RuntimeException ex) {
					entry.breaker.releasePermission();
					throw ex;
				}
			}
			finally {
				if (admitted != 0) {
					meters.heldSlot(entry.backend.name(), WorkloadClass.BATCH, Duration.ofNanos(System.nanoTime() - admitted));
					power.ended(entry.backend.name(), call.requestId(), 0);
				}
				ticket.release();
			}
		}
		throw unavailable != null ? unavailable
				: new BackendUnavailableException("", "No backend serving '" + call.model() + "' is available.", null);
	}

	private BackendUnavailableException breakerOpen(ModelCatalogue.Entry entry) {
		return new BackendUnavailableException(entry.backend.name(), "Backend '" + entry.backend.name()
				+ "' kept failing and is out of rotation for " + Attempt.seconds(settings.breaker().cooldown())
				+ " before it is tried again.", null);
	}

	private void awaitMediaSlot(CapacityScheduler.Ticket ticket, ModelCatalogue.Entry entry) {
		var maxWait = entry.scheduler.policy(WorkloadClass.BATCH).maxWait();
		try {
			if (!ticket.await(maxWait)) {
				meters.refused(entry.backend.name(), WorkloadClass.BATCH, "max_wait");
				throw new CapacityExceededException(entry.backend.name(), WorkloadClass.BATCH, "The work waited "
						+ Attempt.seconds(maxWait) + " for capacity on backend '" + entry.backend.name()
						+ "' (the limit for batch work); try again later.", ticket.retryAfter());
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new CapacityExceededException(entry.backend.name(), WorkloadClass.BATCH, "Interrupted while waiting for capacity.",
					ticket.retryAfter());
		}
		meters.admitted(entry.backend.name(), WorkloadClass.BATCH, ticket.waited());
	}

	/** One request's way through routing, admission and the backend; its last state settles the event. */
	private final class Attempt {

		ModelCatalogue.@Nullable Entry entry;

		Outcome outcome = Outcome.REFUSED;

		TokenUsage usage = new TokenUsage(0, 0, false);

		/** The caller went away before the request got a slot: it never ran. */
		boolean leftWhileWaiting;

		/** Whether it held a slot of {@link #entry} and reached the backend (so its power counts). */
		boolean ran;

		/** When the slot was granted ({@link System#nanoTime}). */
		long admittedAt = System.nanoTime();

		ChatResult run(ChatRequest request, TokenSink sink) {
			BackendUnavailableException unavailable = null;
			BackendFailedException lastFailure = null;
			var routes = catalogue.routes(request.model());
			if (request.trustedOnly()) {
				routes = routes.stream().filter(route -> route.entry().trusted).toList();
				if (routes.isEmpty()) {
					throw new BackendUnavailableException("(none trusted)", "No trusted backend serves '" + request.model()
							+ "': held-out items only go to backends configured with familiar.backends.NAME.trusted=true.",
							null);
				}
			}
			String refused = null;
			for (var route : plan(routes)) {
				refused = route.entry().backend.unsupported(request);
				if (refused != null) {
					continue;
				}
				entry = route.entry();
				if (!entry.usable() && entry.breaker.getState() == CircuitBreaker.State.OPEN) {
					unavailable = breakerOpen(entry);
					continue;
				}
				CapacityScheduler.Ticket ticket;
				try {
					ticket = entry.scheduler.request(request.workload(), request.requester());
				}
				catch (CapacityExceededException ex) {
					meters.refused(entry.backend.name(), request.workload(), "queue_full");
					throw ex;
				}
				try {
					if (!admitted(ticket, request, sink)) {
						return cancelledWhileWaiting(request);
					}
					if (!entry.breaker.tryAcquirePermission()) {
						unavailable = breakerOpen(entry);
						continue;
					}
					long start = System.nanoTime();
					ran = true;
					power.started(entry.backend.name(), request.requestId(), request.requester(), request.workload());
					try {
						var result = entry.backend.chat(request, route.upstreamModel(), sink, settings.capacity().disconnectCheck());
						entry.breaker.onSuccess(System.nanoTime() - start, TimeUnit.NANOSECONDS);
						return result;
					}
					catch (BackendRejectedException ex) {
						entry.breaker.releasePermission();
						throw ex;
					}
					catch (BackendException ex) {
						entry.breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, ex);
						meters.backendError(entry.backend.name(), ex);
						if (ex instanceof BackendUnavailableException || ex instanceof BackendFailedException f && f.partial().text().isEmpty()) {
							// Failing over: the request is measured once, where it is answered.
							power.abandoned(entry.backend.name(), request.requestId());
							ran = false;
						}
						if (ex instanceof BackendUnavailableException down) {
							unavailable = down;
							continue;
						}
						if (ex instanceof BackendFailedException failed && failed.partial().text().isEmpty()) {
							// A server error before the first token: another backend may still serve it.
							lastFailure = failed;
							continue;
						}
						throw ex;
					}
				}
				catch (CapacityExceededException ex) {
					meters.refused(entry.backend.name(), request.workload(), "max_wait");
					throw ex;
				}
				finally {
					ticket.release();
				}
			}
			if (lastFailure != null) {
				throw lastFailure;
			}
			if (entry == null && refused != null) {
				throw unsupported(request, refused);
			}
			throw unavailable != null ? unavailable
					: new BackendUnavailableException("", "No backend serving '" + request.model() + "' is available.", null);
		}

		/**
		 * Waits for the ticket's slot, checking that the caller is still there.
		 * @return {@code false} if the caller left while waiting
		 * @throws CapacityExceededException if the class's max-wait passed
		 */
		private boolean admitted(CapacityScheduler.Ticket ticket, ChatRequest request, TokenSink sink) {
			var entry = this.entry;
			var maxWait = entry.scheduler.policy(request.workload()).maxWait();
			long deadline = System.nanoTime() + maxWait.toNanos();
			var check = settings.capacity().disconnectCheck();
			try {
				while (!ticket.await(check)) {
					if (sink.callerGone()) {
						return false;
					}
					long left = deadline - System.nanoTime();
					if (left <= 0) {
						throw new CapacityExceededException(entry.backend.name(), request.workload(),
								"The request waited " + seconds(maxWait) + " for capacity on backend '"
										+ entry.backend.name() + "' (the limit for " + request.workload().id()
										+ " requests); try again later.",
								ticket.retryAfter());
					}
					check = Duration.ofNanos(Math.min(check.toNanos(), left));
				}
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return false;
			}
			meters.admitted(entry.backend.name(), request.workload(), ticket.waited());
			admittedAt = System.nanoTime();
			return true;
		}

		private static String seconds(Duration duration) {
			return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s"
					: String.format(java.util.Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
		}


		private ChatResult cancelledWhileWaiting(ChatRequest request) {
			meters.refused(entry.backend.name(), request.workload(), "caller_gone");
			leftWhileWaiting = true;
			return new ChatResult(request.requestId(), request.model(), entry.backend.name(), "", FinishReason.CANCELLED,
					new TokenUsage(0, 0, false));
		}
	}

	/**
	 * Usable backends first, least loaded per weighted slot first, equally loaded ones in turn; the
	 * rest as a last resort.
	 */
	private List<ModelCatalogue.Route> plan(List<ModelCatalogue.Route> routes) {
		if (routes.size() == 1) {
			return routes;
		}
		var ordered = new ArrayList<>(routes);
		Collections.rotate(ordered, (int) (turn.getAndIncrement() % ordered.size()));
		ordered.sort(Comparator.comparing((ModelCatalogue.Route r) -> !r.entry().usable())
			.thenComparingDouble(r -> r.entry().load()));
		return ordered;
	}
}
