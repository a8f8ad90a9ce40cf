package org.familiar.compute;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Measured energy. Each backend with a {@link ComputeSettings.Power} source is scraped every
 * interval; the joules between two scrapes (a counter's increase, or a gauge's watts integrated by
 * the trapezoid rule) go to the requests that held one of the backend's slots in between, each in
 * proportion to how long it held it in that interval (slot time, not tokens: a GPU draws while a
 * request sits in its batch whether it is reading the prompt or writing, and a request's tokens
 * are only known when it ends). Joules from intervals in which nothing ran are idle power, counted
 * apart and given to nobody. A request's share is final at the first scrape after it ended, and
 * then published as an {@link EnergyMeasured}.
 *
 * <p>Each replica apportions among the requests it ran. Several replicas that share one GPU host
 * would each give its whole draw to their own requests, so point only one replica's backend at a
 * given source, or give each its own (docs/energy.md).
 */
@Component
class PowerMeters implements SmartLifecycle {

	private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PowerMeters.class);

	/** A request a scrape did not finish within this many intervals (the source is down) keeps its estimate. */
	private static final int GIVE_UP_INTERVALS = 12;

	/** Two gauge readings further apart than this many intervals (the source was down) measure nothing in between. */
	private static final int GAUGE_GAP = 3;

	/** Measured requests a backend needs before its joules per token are calibrated from them. */
	static final int CALIBRATION_REQUESTS = 10;

	private final Map<String, Source> sources = new LinkedHashMap<>();

	private final ApplicationEventPublisher events;

	private final Clock clock;

	private final MeterRegistry registry;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private @Nullable ScheduledExecutorService scrapes;

	PowerMeters(ComputeSettings settings, ApplicationEventPublisher events, Clock clock, MeterRegistry registry) {
		this.events = events;
		this.clock = clock;
		this.registry = registry;
		settings.backends().forEach((name, backend) -> {
			if (backend.power() != null) {
				sources.put(name, new Source(name, backend.power()));
			}
		});
	}

	/** A request of this class was admitted to a slot of the backend. */
	void started(String backend, String requestId, String requester, WorkloadClass workload) {
		var source = sources.get(backend);
		if (source != null) {
			source.started(new Running(requestId, requester, workload, clock.instant()));
		}
	}

	/** It gave its slot back; {@code estimatedJoules} is what its tokens or images say it used. */
	void ended(String backend, String requestId, double estimatedJoules) {
		var source = sources.get(backend);
		if (source != null) {
			source.ended(requestId, clock.instant(), estimatedJoules);
		}
	}

	/**
	 * The request failed over from this backend before its reply started: it is dropped here, so it
	 * is measured once, on the backend that answers (what it drew here goes to the others in the interval).
	 */
	void abandoned(String backend, String requestId) {
		var source = sources.get(backend);
		if (source != null) {
			source.abandoned(requestId);
		}
	}

	/** Whether the backend's energy is measured. */
	boolean measures(String backend) {
		return sources.containsKey(backend);
	}

	/**
	 * The measured over the estimated energy of the backend's measured requests, once there are
	 * {@value #CALIBRATION_REQUESTS}; otherwise 1.
	 */
	double calibration(String backend) {
		var source = sources.get(backend);
		return source == null ? 1 : source.calibration();
	}

	/** What the Capacity page shows of a backend's source, or {@code null} without one. */
	@Nullable Measurement measurement(String backend) {
		var source = sources.get(backend);
		return source == null ? null : source.measurement();
	}

	/**
	 * @param watts the latest draw (a gauge's reading, or a counter's rate over the last interval)
	 * @param measuredRequests requests measured so far
	 * @param calibration measured over estimated energy of those, or {@code null} before there are enough
	 * @param problem why the last scrape failed, or {@code null}
	 */
	record Measurement(String url, String metric, @Nullable Instant lastScrape, @Nullable Double watts, double measuredJoules,
			double idleJoules, long measuredRequests, @Nullable Double calibration, @Nullable String problem) {
	}

	/** Scrapes one backend's source now and apportions what it reports (the timer does this every interval). */
	void scrape(String backend) {
		var source = sources.get(backend);
		if (source != null) {
			source.scrape();
		}
	}

	private record Running(String requestId, String requester, WorkloadClass workload, Instant start) {
	}

	/** One request on a measured backend: its slot time so far and the joules given to it. */
	private static final class Share {

		final Running request;

		@Nullable Instant end;

		double estimatedJoules;

		double joules;

		/** Whether a sample was taken before it started, so every joule of its slot time is counted. */
		final boolean seenFromStart;

		Share(Running request, boolean seenFromStart) {
			this.request = request;
			this.seenFromStart = seenFromStart;
		}

		/** The same request, still running, no longer measurable from start to end. */
		Share(Running request, boolean seenFromStart, Share was) {
			this(request, seenFromStart);
			this.end = was.end;
			this.estimatedJoules = was.estimatedJoules;
			this.joules = was.joules;
		}
	}

	private final class Source {

		final String backend;

		final ComputeSettings.Power power;

		final URI url;

		final Map<String, Share> shares = new LinkedHashMap<>();

		@Nullable Instant lastAt;

		double lastValue;

		@Nullable Double watts;

		@Nullable String problem;

		double measuredJoules;

		double estimatedOfMeasured;

		double idleJoules;

		long measuredRequests;

		final Counter idle;

		Source(String backend, ComputeSettings.Power power) {
			this.backend = backend;
			this.power = power;
			this.url = power.url();
			this.idle = Counter.builder("familiar.energy.idle")
				.description("Joules a backend's power source reported while no request held a slot (given to nobody)")
				.baseUnit("joules")
				.tag("backend", backend)
				.register(registry);
			Gauge.builder("familiar.power.watts", this, s -> s.watts == null ? Double.NaN : s.watts)
				.description("The backend's power draw at the last scrape of its source")
				.tag("backend", backend)
				.register(registry);
		}

		synchronized void started(Running request) {
			shares.put(request.requestId(), new Share(request, lastAt != null));
		}

		synchronized void ended(String requestId, Instant at, double estimatedJoules) {
			var share = shares.get(requestId);
			if (share != null) {
				share.end = at;
				share.estimatedJoules = estimatedJoules;
			}
		}

		synchronized void abandoned(String requestId) {
			shares.remove(requestId);
		}

		synchronized double calibration() {
			return measuredRequests >= CALIBRATION_REQUESTS && estimatedOfMeasured > 0 ? measuredJoules / estimatedOfMeasured : 1;
		}

		synchronized Measurement measurement() {
			return new Measurement(url.toString(), power.metric(), lastAt, watts, measuredJoules, idleJoules, measuredRequests,
					measuredRequests >= CALIBRATION_REQUESTS && estimatedOfMeasured > 0 ? measuredJoules / estimatedOfMeasured : null,
					problem);
		}

		void scrape() {
			double value;
			try {
				var response = http.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).GET().build(),
						HttpResponse.BodyHandlers.ofString());
				if (response.statusCode() != 200) {
					throw new IllegalStateException("it answered " + response.statusCode());
				}
				var read = PrometheusText.sum(response.body(), power.metric());
				if (read == null) {
					throw new IllegalStateException("it exports no series named " + power.metric());
				}
				value = read;
			}
			catch (Exception ex) {
				if (ex instanceof InterruptedException) {
					Thread.currentThread().interrupt();
				}
				failed(ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage());
				return;
			}
			sampled(clock.instant(), value);
		}

		private synchronized void failed(String why) {
			if (problem == null) {
				log.warn("Cannot read the power of backend '{}' from {}: {}; its requests keep their estimates until it answers",
						backend, url, why);
			}
			problem = why;
			// Requests that ended long ago will not be measured: they keep their estimates.
			var cutoff = clock.instant().minus(power.interval().multipliedBy(GIVE_UP_INTERVALS));
			shares.values().removeIf(share -> share.end != null && share.end.isBefore(cutoff));
		}

		synchronized void sampled(Instant at, double value) {
			problem = null;
			var previousAt = lastAt;
			var previous = lastValue;
			lastAt = at;
			lastValue = value;
			if (previousAt == null || !at.isAfter(previousAt)) {
				watts = power.counter() ? null : value;
				return;
			}
			double seconds = Duration.between(previousAt, at).toNanos() / 1e9;
			double joules;
			if (power.counter()) {
				// A counter that went down was reset (or wrapped): what it counted since is its value.
				joules = value >= previous ? value - previous : value;
				watts = joules / seconds;
			}
			else {
				watts = value;
				if (seconds > GAUGE_GAP * power.interval().toNanos() / 1e9) {
					// A gauge says nothing of the draw between two readings this far apart (the source was down):
					// what ran meanwhile is not measured, and keeps its estimate.
					unmeasurable(previousAt, at);
					return;
				}
				joules = (previous + value) / 2 * seconds;
			}
			apportion(previousAt, at, joules);
		}

		private void unmeasurable(Instant from, Instant to) {
			shares.values().removeIf(share -> share.request.start().isBefore(to) && (share.end == null || share.end.isAfter(from))
					&& (share.end != null && !share.end.isAfter(to)));
			shares.replaceAll((id, share) -> share.request.start().isBefore(to) ? new Share(share.request, false, share) : share);
		}

		private void apportion(Instant from, Instant to, double joules) {
			var overlaps = new ArrayList<double[]>();
			var overlapping = new ArrayList<Share>();
			double total = 0;
			for (var share : shares.values()) {
				var start = share.request.start().isAfter(from) ? share.request.start() : from;
				var end = share.end == null || share.end.isAfter(to) ? to : share.end;
				if (end.isAfter(start)) {
					double overlap = Duration.between(start, end).toNanos();
					overlapping.add(share);
					overlaps.add(new double[] { overlap });
					total += overlap;
				}
			}
			if (total == 0) {
				idleJoules += joules;
				idle.increment(joules);
			}
			else {
				for (int i = 0; i < overlapping.size(); i++) {
					overlapping.get(i).joules += joules * overlaps.get(i)[0] / total;
				}
			}
			var done = new ArrayList<Share>();
			shares.values().removeIf(share -> {
				if (share.end != null && !share.end.isAfter(to)) {
					done.add(share);
					return true;
				}
				return false;
			});
			for (var share : done) {
				if (!share.seenFromStart) {
					continue;
				}
				if (share.estimatedJoules > 0) {
					// Media work has no estimate here (the media module meters it): it calibrates nothing.
					measuredJoules += share.joules;
					estimatedOfMeasured += share.estimatedJoules;
					measuredRequests++;
				}
				events.publishEvent(new EnergyMeasured(share.request.requestId(), backend, share.request.workload(),
						share.request.requester(), share.joules, share.estimatedJoules));
			}
		}
	}

	@Override
	public void start() {
		if (sources.isEmpty()) {
			return;
		}
		scrapes = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("power-scrape").factory());
		for (var source : sources.values()) {
			long every = Math.max(1, source.power.interval().toMillis());
			scrapes.scheduleWithFixedDelay(() -> {
				try {
					source.scrape();
				}
				catch (RuntimeException ex) {
					log.warn("Scraping the power of backend '{}' failed", source.backend, ex);
				}
			}, 0, every, TimeUnit.MILLISECONDS);
		}
	}

	@Override
	public void stop() {
		if (scrapes != null) {
			scrapes.shutdownNow();
			scrapes = null;
		}
	}

	@Override
	public boolean isRunning() {
		return scrapes != null;
	}

	/** The backends whose power is measured, by name. */
	List<String> measured() {
		return List.copyOf(sources.keySet());
	}
}
