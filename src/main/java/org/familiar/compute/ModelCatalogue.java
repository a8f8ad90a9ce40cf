package org.familiar.compute;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.familiar.compute.backend.ChatBackend;
import org.familiar.compute.capacity.CapacityScheduler;
import org.familiar.compute.capacity.InProcessScheduler;
import org.familiar.compute.embedded.EmbeddedBackend;
import org.familiar.compute.embedded.LocalEmbeddingBackend;
import org.familiar.compute.openai.OpenAiBackend;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The backends from configuration, what each serves, whether it answers, its capacity scheduler
 * and its circuit breaker. Probes run at start-up and every {@code familiar.health-check-interval};
 * a request for a model nobody is known to serve triggers a fresh probe (at most every few seconds)
 * before it is refused. Aliases ({@code familiar.aliases}) stand for one or more models.
 */
@Component
class ModelCatalogue implements DisposableBean {

	private static final Logger log = LoggerFactory.getLogger(ModelCatalogue.class);

	private static final Duration MIN_REFRESH = Duration.ofSeconds(3);

	private final Map<String, Entry> backends = new LinkedHashMap<>();

	private final Map<String, List<String>> aliases;

	private final Clock clock;

	private volatile Instant refreshed = Instant.EPOCH;

	private final ReentrantLock probing = new ReentrantLock();

	/** Where replicas tell each other that a configured backend's breaker or health changed. */
	static final String BACKENDS = "compute.backends";

	private final Broadcasts broadcasts;

	/**
	 * The configured backends, which every replica shares (the embedded ones are each replica's
	 * own), by name: what replicas call each (its name and URL, as its shared scheduler's key). A
	 * report about a backend of the same name at another URL is not about this one.
	 */
	private final Map<String, String> configured;

	/** The configured backends' names by what replicas call them. */
	private final Map<String, String> byIdentity;

	/** Set while this replica applies what another reported, so that it does not report it back. */
	private static final ThreadLocal<Boolean> applying = ThreadLocal.withInitial(() -> false);

	/** A backend, its slots, its breaker and its last known state. */
	static final class Entry {

		final ChatBackend backend;

		final CapacityScheduler scheduler;

		final CircuitBreaker breaker;

		final double weight;

		final ComputeSettings.Energy energy;

		final List<String> configuredModels;

		volatile boolean healthy;

		volatile List<String> models;

		volatile String message = "not checked yet";

		/** Whether held-out evaluation items may go here. */
		final boolean trusted;

		/** Tokens its models read at once, prompt and reply together. */
		final int contextLength;

		/** The kinds the configuration gives its models ({@code image-models}, {@code video-models}). */
		final Map<String, String> configuredKinds;

		/** Energy of its images and videos. */
		final ComputeSettings.MediaEnergy mediaEnergy;

		Entry(ChatBackend backend, CapacityScheduler scheduler, CircuitBreaker breaker, double weight,
				ComputeSettings.Energy energy, List<String> configuredModels, boolean trusted, int contextLength) {
			this(backend, scheduler, breaker, weight, energy, configuredModels, trusted, contextLength, Map.of(),
					new ComputeSettings.MediaEnergy(ComputeSettings.Backend.DEFAULT_JOULES_PER_IMAGE,
							ComputeSettings.Backend.DEFAULT_JOULES_PER_VIDEO_SECOND));
		}

		Entry(ChatBackend backend, CapacityScheduler scheduler, CircuitBreaker breaker, double weight,
				ComputeSettings.Energy energy, List<String> configuredModels, boolean trusted, int contextLength,
				Map<String, String> configuredKinds, ComputeSettings.MediaEnergy mediaEnergy) {
			this.configuredKinds = Map.copyOf(configuredKinds);
			this.mediaEnergy = mediaEnergy;
			this.contextLength = contextLength;
			this.trusted = trusted;
			this.backend = backend;
			this.energy = energy;
			this.scheduler = scheduler;
			this.breaker = breaker;
			this.weight = weight > 0 ? weight : 1;
			this.configuredModels = List.copyOf(configuredModels);
			this.models = withMedia(this.configuredModels);
		}

		/** The models it serves: those listed or discovered, and its image and video models. */
		List<String> withMedia(List<String> chatOrDiscovered) {
			if (configuredKinds.isEmpty()) {
				return List.copyOf(chatOrDiscovered);
			}
			var all = new java.util.LinkedHashSet<>(chatOrDiscovered);
			all.addAll(configuredKinds.keySet());
			return List.copyOf(all);
		}

		/** What one of its models does ({@link ModelInfo#kindOf} unless configured). */
		String kind(String model) {
			if (backend instanceof LocalEmbeddingBackend) {
				return ModelInfo.EMBEDDING;
			}
			var configured = configuredKinds.get(model);
			return configured != null ? configured : ModelInfo.kindOf(model);
		}

		/** Whether requests should go here: answering, and its breaker not open. */
		boolean usable() {
			return healthy && breaker.getState() != CircuitBreaker.State.OPEN
					&& breaker.getState() != CircuitBreaker.State.FORCED_OPEN;
		}

		/** Requests running or waiting per weighted slot. */
		double load() {
			var load = scheduler.load();
			return (load.running() + load.waiting()) / (load.slots() * weight);
		}
	}

	/** A model on a backend. */
	record Route(Entry entry, String upstreamModel) {
	}

	/**
	 * @param shared makes the schedulers of configured backends: shared by all replicas with the
	 * {@code redis} profile. The embedded engine and local embeddings run inside each replica, so
	 * their schedulers stay in this process.
	 */
	ModelCatalogue(ComputeSettings settings, Clock clock, CircuitBreakerRegistry breakers,
			org.springframework.beans.factory.ObjectProvider<TextEmbedder> embedders, CapacityScheduler.Factory shared,
			Broadcasts broadcasts) {
		this.broadcasts = broadcasts;
		var identities = new java.util.HashMap<String, String>();
		settings.backends().forEach((name, backend) -> identities.put(name, identity(name, backend.url())));
		this.configured = Map.copyOf(identities);
		this.byIdentity = identities.entrySet().stream()
			.collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getValue, Map.Entry::getKey));
		this.clock = clock;
		this.aliases = settings.aliases();
		var policies = settings.capacity().policies();
		settings.backends()
			.forEach((name, backend) -> backends.put(name,
					new Entry(new OpenAiBackend(name, backend),
							shared.create(name, configured.get(name), Math.max(1, backend.maxConcurrent()), policies, clock),
							breakers.circuitBreaker(name), backend.weight(), backend.energy(), backend.models(),
							backend.trusted(), backend.contextLength(), kinds(backend), backend.mediaEnergy())));
		backends.values().forEach(this::share);
		broadcasts.subscribe(BACKENDS, this::reported);
		if (settings.embedded().enabled() && !backends.containsKey(EmbeddedBackend.NAME)) {
			var embedded = new EmbeddedBackend(settings.embedded(), settings.home());
			var entry = new Entry(embedded, new InProcessScheduler(EmbeddedBackend.NAME,
					Math.max(1, settings.embedded().maxConcurrent()), policies, clock),
					breakers.circuitBreaker(EmbeddedBackend.NAME), 1, settings.embedded().energy(),
					List.of(embedded.modelId()), true, EmbeddedBackend.CONTEXT_LENGTH);
			entry.healthy = true;
			entry.message = "ready";
			backends.put(EmbeddedBackend.NAME, entry);
		}
		var embedder = embedders.getIfAvailable();
		if (embedder != null && !backends.containsKey(LocalEmbeddingBackend.NAME)) {
			var entry = new Entry(new LocalEmbeddingBackend(embedder), new InProcessScheduler(LocalEmbeddingBackend.NAME,
					Math.max(1, Runtime.getRuntime().availableProcessors()), policies, clock),
					breakers.circuitBreaker(LocalEmbeddingBackend.NAME), 1, settings.embedded().energy(),
					List.of(TextEmbedder.MODEL), true, 512);
			entry.healthy = true;
			entry.message = "ready";
			backends.put(LocalEmbeddingBackend.NAME, entry);
		}
	}

	private static Map<String, String> kinds(ComputeSettings.Backend backend) {
		var kinds = new java.util.LinkedHashMap<String, String>();
		backend.imageModels().forEach(model -> kinds.put(model, ModelInfo.IMAGE));
		backend.videoModels().forEach(model -> kinds.put(model, ModelInfo.VIDEO));
		return kinds;
	}

	/** Probes every backend at once (each probe on its own virtual thread). */
	void refresh() {
		probing.lock();
		try {
			try (var probes = Executors.newVirtualThreadPerTaskExecutor()) {
				backends.values().forEach(entry -> probes.submit(() -> probe(entry)));
			}
			refreshed = clock.instant();
		}
		finally {
			probing.unlock();
		}
	}

	private void probe(Entry entry) {
		try {
			var served = entry.backend.probe();
			entry.models = entry.withMedia(entry.configuredModels.isEmpty() ? served : entry.configuredModels);
			if (!entry.healthy) {
				log.info("Backend '{}' is up, serving {}", entry.backend.name(), entry.models);
				report(entry, "up", "ready");
			}
			entry.healthy = true;
			entry.message = "ready";
		}
		catch (BackendException ex) {
			if (entry.healthy || "not checked yet".equals(entry.message)) {
				log.warn(ex.getMessage());
				report(entry, "down", ex.getMessage());
			}
			entry.healthy = false;
			entry.message = ex.getMessage();
		}
	}

	/**
	 * Makes a configured backend's breaker and health converge across replicas: when this
	 * replica's breaker opens or closes, or a probe finds the backend down or back, the others do
	 * the same at once instead of each finding out with failed requests of its own. (A breaker's
	 * half-open trial stays each replica's own.)
	 */
	private void share(Entry entry) {
		entry.breaker.getEventPublisher().onStateTransition(event -> {
			var to = event.getStateTransition().getToState();
			if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.CLOSED) {
				report(entry, "breaker", to.name());
			}
		});
	}

	private void report(Entry entry, String what, String detail) {
		if (!applying.get()) {
			broadcasts.publish(BACKENDS, configured.get(entry.backend.name()) + "\n" + what + "\n" + detail);
		}
	}

	/** How replicas name a configured backend: its name and URL. */
	static String identity(String name, java.net.URI url) {
		return name + " " + url;
	}

	/** What another replica reported about a backend: {@code name url \n breaker|up|down \n detail}. */
	private void reported(String message) {
		var parts = message.split("\n", 3);
		var name = parts.length == 3 ? byIdentity.get(parts[0]) : null;
		var entry = name != null ? backends.get(name) : null;
		if (entry == null) {
			return;
		}
		applying.set(true);
		try {
			var state = entry.breaker.getState();
			switch (parts[1]) {
				case "breaker" -> {
					if (parts[2].equals("OPEN") && (state == CircuitBreaker.State.CLOSED || state == CircuitBreaker.State.HALF_OPEN)) {
						entry.breaker.transitionToOpenState();
					}
					else if (parts[2].equals("CLOSED") && (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.HALF_OPEN)) {
						entry.breaker.transitionToClosedState();
					}
				}
				case "up" -> {
					entry.healthy = true;
					entry.message = parts[2];
				}
				case "down" -> {
					entry.healthy = false;
					entry.message = parts[2];
				}
				default -> {
				}
			}
		}
		finally {
			applying.set(false);
		}
	}

	/** The breaker settings every backend gets. */
	static CircuitBreakerConfig breakerConfig(ComputeSettings.Breaker breaker) {
		return CircuitBreakerConfig.custom()
			.failureRateThreshold(breaker.failureRate())
			.minimumNumberOfCalls(breaker.minimumCalls())
			.slidingWindowSize(Math.max(breaker.window(), breaker.minimumCalls()))
			.waitDurationInOpenState(breaker.cooldown())
			.permittedNumberOfCallsInHalfOpenState(Math.min(3, breaker.minimumCalls()))
			.automaticTransitionFromOpenToHalfOpenEnabled(true)
			.recordExceptions(BackendException.class)
			.ignoreExceptions(BackendRejectedException.class)
			.build();
	}

	List<Entry> entries() {
		return List.copyOf(backends.values());
	}

	List<ModelInfo> models() {
		if (refreshed.equals(Instant.EPOCH)) {
			// Nothing probed yet (just started): the first probe's answer, not an empty list.
			probing.lock();
			try {
				if (refreshed.equals(Instant.EPOCH)) {
					refresh();
				}
			}
			finally {
				probing.unlock();
			}
		}
		var models = new ArrayList<ModelInfo>();
		for (var entry : backends.values()) {
			for (var model : entry.models) {
				var status = entry.healthy ? entry.backend.status(model) : entry.message;
				models.add(new ModelInfo(model, entry.backend.name(), entry.healthy, status, entry.kind(model)));
			}
		}
		aliases.forEach((alias, targets) -> {
			var routes = find(alias);
			if (!routes.isEmpty()) {
				boolean up = routes.stream().anyMatch(route -> route.entry().usable());
				models.add(new ModelInfo(alias, "alias", up, "alias for " + String.join(", ", targets)));
			}
		});
		return models;
	}

	/**
	 * The backends that serve a model (or an alias's models), healthy ones first. A name of the form
	 * {@code BACKEND/MODEL} picks the backend.
	 * @throws ModelNotFoundException if no backend serves it
	 */
	List<Route> routes(String model) {
		var routes = find(model);
		if (routes.isEmpty() && probing.isLocked()) {
			// A probe is under way (at start-up, say): its answer decides, not the stale list.
			probing.lock();
			probing.unlock();
			routes = find(model);
		}
		if (routes.isEmpty() && clock.instant().isAfter(refreshed.plus(MIN_REFRESH))) {
			refresh();
			routes = find(model);
		}
		if (routes.isEmpty()) {
			throw new ModelNotFoundException(model);
		}
		return routes;
	}

	private List<Route> find(String model) {
		var targets = aliases.get(model);
		if (targets != null) {
			var routes = new ArrayList<Route>();
			targets.forEach(target -> served(target).stream().filter(r -> !routes.contains(r)).forEach(routes::add));
			return routes;
		}
		return served(model);
	}

	/** The backends that serve a model itself (aliases do not nest). */
	private List<Route> served(String model) {
		var healthy = new ArrayList<Route>();
		var down = new ArrayList<Route>();
		for (var entry : backends.values()) {
			var upstream = serves(entry, model);
			if (upstream != null) {
				(entry.healthy ? healthy : down).add(new Route(entry, upstream));
			}
		}
		healthy.addAll(down);
		return healthy;
	}

	private static @Nullable String serves(Entry entry, String model) {
		if (entry.models.contains(model)) {
			return model;
		}
		var prefix = entry.backend.name() + "/";
		if (model.startsWith(prefix) && entry.models.contains(model.substring(prefix.length()))) {
			return model.substring(prefix.length());
		}
		return null;
	}

	@Override
	public void destroy() {
		backends.values().forEach(entry -> entry.backend.close());
	}
}
