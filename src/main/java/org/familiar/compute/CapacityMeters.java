package org.familiar.compute;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.familiar.compute.CompletionFinished.Outcome;
import org.familiar.compute.capacity.CapacityScheduler;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * Prometheus metrics per backend and workload class: slots, in flight, queued, queue wait, slot
 * time, completions, tokens, refusals and backend errors (breaker state comes from Resilience4j's
 * own binder). Instruments are looked up once per backend and class, not built per request.
 */
@Component
class CapacityMeters implements SmartInitializingSingleton {

	private final MeterRegistry registry;

	private final ModelCatalogue catalogue;

	private final Map<String, EnumMap<WorkloadClass, PerClass>> instruments = new ConcurrentHashMap<>();

	private final EnergySettings energySettings;

	CapacityMeters(MeterRegistry registry, ModelCatalogue catalogue, EnergySettings energySettings) {
		this.registry = registry;
		this.catalogue = catalogue;
		this.energySettings = energySettings;
	}

	/** One backend and class's instruments. */
	private final class PerClass {

		final Timer queueWait;

		final Counter slotSeconds;

		final Counter promptTokens;

		final Counter completionTokens;

		final Counter energy;

		/** Joules as finally counted: measured where the backend's power source saw the request, estimated elsewhere. */
		final Counter measured;

		final Counter estimated;

		final EnumMap<Outcome, Timer> completions = new EnumMap<>(Outcome.class);

		PerClass(String backend, WorkloadClass workload) {
			var tags = new String[] { "backend", backend, "workload", workload.id() };
			queueWait = Timer.builder("familiar.queue.wait")
				.description("Time requests waited for a backend slot")
				.tags(tags)
				.publishPercentileHistogram()
				.minimumExpectedValue(Duration.ofMillis(1))
				.maximumExpectedValue(Duration.ofMinutes(10))
				.register(registry);
			slotSeconds = Counter.builder("familiar.capacity.slot.seconds")
				.description("Slot-seconds used; its rate is the average number of slots a class holds")
				.tags(tags)
				.register(registry);
			promptTokens = Counter.builder("familiar.tokens")
				.description("Tokens processed")
				.tags(tags)
				.tag("kind", "prompt")
				.register(registry);
			completionTokens = Counter.builder("familiar.tokens")
				.description("Tokens processed")
				.tags(tags)
				.tag("kind", "completion")
				.register(registry);
			energy = Counter.builder("familiar.energy")
				.description("Estimated energy of every request, from the backend's configured joules per token (familiar_energy_used_joules_total has what was measured)")
				.baseUnit("joules")
				.tags(tags)
				.register(registry);
			measured = joules(tags, "measured");
			estimated = joules(tags, "estimated");
			for (var outcome : Outcome.values()) {
				completions.put(outcome, Timer.builder("familiar.completions")
					.description("Chat completions by backend, workload class and outcome")
					.tags(tags)
					.tag("outcome", outcome.name().toLowerCase())
					.register(registry));
			}
		}
	}

	private Counter joules(String[] tags, String basis) {
		return Counter.builder("familiar.energy.used")
			.description("Energy of requests as the ledger keeps it: measured at the backend's power source, or estimated")
			.baseUnit("joules")
			.tags(tags)
			.tag("basis", basis)
			.register(registry);
	}

	/** Each person's counters, looked up once, not built per request. */
	private final Map<String, Counter> people = new ConcurrentHashMap<>();

	private void byPerson(String requester, String basis, double joules) {
		if (energySettings.perPerson() && joules > 0) {
			people.computeIfAbsent(basis + ' ' + requester, key -> Counter.builder("familiar.energy.person")
				.description("Energy by person (their id), measured or estimated")
				.baseUnit("joules")
				.tags("person", requester, "basis", basis)
				.register(registry)).increment(joules);
		}
	}

	/** A measurement came for a request: its joules count as measured (its estimate was never counted as final). */
	@org.springframework.context.event.EventListener
	void on(EnergyMeasured measured) {
		of(measured.backend(), measured.workload()).measured.increment(measured.joules());
		byPerson(measured.requester(), "measured", measured.joules());
	}

	@Override
	public void afterSingletonsInstantiated() {
		for (var entry : catalogue.entries()) {
			var backend = entry.backend.name();
			var scheduler = entry.scheduler;
			Gauge.builder("familiar.capacity.slots", scheduler, s -> s.slots())
				.description("Slots the backend has (familiar.backends.NAME.max-concurrent)")
				.tag("backend", backend)
				.register(registry);
			for (var workload : WorkloadClass.values()) {
				gauge("familiar.capacity.in.flight", "Requests holding a slot", scheduler, workload,
						load -> load.classes().get(workload.ordinal()).running());
				gauge("familiar.capacity.queued", "Requests waiting for a slot", scheduler, workload,
						load -> load.classes().get(workload.ordinal()).waiting());
				Gauge.builder("familiar.capacity.share", scheduler, s -> s.policy(workload).share())
					.description("Configured share (weight) of the class")
					.tags("backend", backend, "workload", workload.id())
					.register(registry);
				of(backend, workload);
			}
		}
	}

	private void gauge(String name, String description, CapacityScheduler scheduler, WorkloadClass workload,
			Function<CapacityScheduler.Load, Integer> value) {
		Gauge.builder(name, scheduler, s -> value.apply(s.load()))
			.description(description)
			.tags("backend", scheduler.backend(), "workload", workload.id())
			.register(registry);
	}

	private PerClass of(String backend, WorkloadClass workload) {
		return instruments.computeIfAbsent(backend, b -> new EnumMap<>(WorkloadClass.class))
			.computeIfAbsent(workload, w -> new PerClass(backend, w));
	}

	void admitted(String backend, WorkloadClass workload, Duration waited) {
		of(backend, workload).queueWait.record(waited);
	}

	void completed(String backend, WorkloadClass workload, String requester, Outcome outcome, Duration duration,
			Duration slotTime, TokenUsage usage, double energyWh, boolean measuredLater) {
		var perClass = of(backend, workload);
		perClass.energy.increment(energyWh * 3600);
		if (!measuredLater) {
			perClass.estimated.increment(energyWh * 3600);
			byPerson(requester, "estimated", energyWh * 3600);
		}
		perClass.completions.get(outcome).record(duration);
		perClass.slotSeconds.increment(slotTime.toNanos() / 1e9);
		perClass.promptTokens.increment(usage.promptTokens());
		perClass.completionTokens.increment(usage.completionTokens());
	}

	/** Media work held a slot this long (its energy and units are the media module's to meter). */
	void heldSlot(String backend, WorkloadClass workload, Duration slotTime) {
		of(backend, workload).slotSeconds.increment(slotTime.toNanos() / 1e9);
	}

	void refused(String backend, WorkloadClass workload, String reason) {
		Counter.builder("familiar.queue.refused")
			.description("Requests that left the queue without running: queue_full, max_wait or caller_gone")
			.tags("backend", backend, "workload", workload.id(), "reason", reason)
			.register(registry)
			.increment();
	}

	void backendError(String backend, BackendException ex) {
		var kind = switch (ex) {
			case BackendUnavailableException unavailable -> "unavailable";
			case BackendFailedException failed -> "failed";
			default -> "other";
		};
		Counter.builder("familiar.backend.errors")
			.description("Backend failures: unavailable (before the reply, failed over) or failed (mid-reply)")
			.tags("backend", backend, "kind", kind)
			.register(registry)
			.increment();
	}
}
