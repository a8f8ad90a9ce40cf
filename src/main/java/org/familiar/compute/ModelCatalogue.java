package org.familiar.compute;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;
import org.familiar.compute.backend.ChatBackend;
import org.familiar.compute.embedded.EmbeddedBackend;
import org.familiar.compute.openai.OpenAiBackend;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * The backends from configuration, what each serves and whether it answers. Probes run at start-up
 * and every {@code familiar.health-check-interval}; a request for a model nobody is known to serve
 * triggers a fresh probe (at most every few seconds) before it is refused.
 */
@Component
class ModelCatalogue implements DisposableBean {

	private static final Logger log = LoggerFactory.getLogger(ModelCatalogue.class);

	private static final Duration MIN_REFRESH = Duration.ofSeconds(3);

	private final Map<String, Entry> backends = new LinkedHashMap<>();

	private final Clock clock;

	private volatile Instant refreshed = Instant.EPOCH;

	private final ReentrantLock probing = new ReentrantLock();

	/** A backend, its slots and its last known state. */
	static final class Entry {

		final ChatBackend backend;

		final Semaphore slots;

		final List<String> configuredModels;

		volatile boolean healthy;

		volatile List<String> models;

		volatile String message = "not checked yet";

		Entry(ChatBackend backend, int maxConcurrent, List<String> configuredModels) {
			this.backend = backend;
			this.slots = new Semaphore(Math.max(1, maxConcurrent), true);
			this.configuredModels = List.copyOf(configuredModels);
			this.models = this.configuredModels;
		}
	}

	/** A model on a backend. */
	record Route(Entry entry, String upstreamModel) {
	}

	ModelCatalogue(ComputeSettings settings, Clock clock) {
		this.clock = clock;
		settings.backends()
			.forEach((name, backend) -> backends.put(name,
					new Entry(new OpenAiBackend(name, backend), backend.maxConcurrent(), backend.models())));
		if (settings.embedded().enabled() && !backends.containsKey(EmbeddedBackend.NAME)) {
			var embedded = new EmbeddedBackend(settings.embedded(), settings.home());
			var entry = new Entry(embedded, settings.embedded().maxConcurrent(), List.of(embedded.modelId()));
			entry.healthy = true;
			entry.message = "ready";
			backends.put(EmbeddedBackend.NAME, entry);
		}
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
			entry.models = entry.configuredModels.isEmpty() ? List.copyOf(served) : entry.configuredModels;
			if (!entry.healthy) {
				log.info("Backend '{}' is up, serving {}", entry.backend.name(), entry.models);
			}
			entry.healthy = true;
			entry.message = "ready";
		}
		catch (BackendException ex) {
			if (entry.healthy || "not checked yet".equals(entry.message)) {
				log.warn(ex.getMessage());
			}
			entry.healthy = false;
			entry.message = ex.getMessage();
		}
	}

	void markDown(String backend, String message) {
		var entry = backends.get(backend);
		if (entry != null && !(entry.backend instanceof EmbeddedBackend)) {
			entry.healthy = false;
			entry.message = message;
		}
	}

	List<ModelInfo> models() {
		var models = new ArrayList<ModelInfo>();
		for (var entry : backends.values()) {
			for (var model : entry.models) {
				var status = entry.healthy ? entry.backend.status(model) : entry.message;
				models.add(new ModelInfo(model, entry.backend.name(), entry.healthy, status));
			}
		}
		return models;
	}

	/**
	 * The backends that serve a model, healthy ones first. A name of the form {@code BACKEND/MODEL}
	 * picks the backend.
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
