package org.familiar.compute;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Holds work that can wait (research runs, batch work) until its class's energy policy lets it
 * start, and keeps the classes' daily energy against their budgets. The held wait on a virtual
 * thread each, re-deciding at their expected start, at least every minute, and whenever the
 * forecast or the clock is {@linkplain #reconsider() reconsidered}.
 */
@Component
class EnergyPolicies {

	private final EnergySettings settings;

	private final Map<WorkloadClass, EnergySettings.Policy> policies;

	private final GridSignal grid;

	private final JdbcClient db;

	private final Clock clock;

	private final MeterRegistry registry;

	private final ReentrantLock lock = new ReentrantLock();

	private final Condition changed = lock.newCondition();

	private final Map<Long, ComputeManagement.HeldWork> held = new ConcurrentHashMap<>();

	private final AtomicLong ids = new AtomicLong();

	private final Map<WorkloadClass, Counter> startedByDeadline = new EnumMap<>(WorkloadClass.class);

	private final Map<WorkloadClass, Counter> startedInWindow = new EnumMap<>(WorkloadClass.class);

	EnergyPolicies(EnergySettings settings, GridSignal grid, JdbcClient db, Clock clock, MeterRegistry registry) {
		this.settings = settings;
		this.policies = settings.byClass();
		this.grid = grid;
		this.db = db;
		this.clock = clock;
		this.registry = registry;
		for (var workload : policies.keySet()) {
			Gauge.builder("familiar.energy.held", held, h -> h.values().stream().filter(w -> w.workload() == workload).count())
				.description("Work waiting for its class's clean or cheap hours (or its daily energy budget)")
				.tag("workload", workload.id())
				.register(registry);
			Gauge.builder("familiar.energy.held.next.start", held, h -> h.values()
				.stream()
				.filter(w -> w.workload() == workload)
				.map(ComputeManagement.HeldWork::expectedStart)
				.min(Comparator.naturalOrder())
				.map(at -> at.getEpochSecond() + 0.0)
				.orElse(Double.NaN))
				.description("When the first held work of the class is expected to start (Unix seconds)")
				.tag("workload", workload.id())
				.register(registry);
			startedByDeadline.put(workload, starts(workload, "deadline"));
			startedInWindow.put(workload, starts(workload, "window"));
		}
		Gauge.builder("familiar.grid.carbon", this, p -> value(p.grid.forecast(), true))
			.description("The grid's carbon intensity this hour, from the forecast (gCO2/kWh)")
			.register(registry);
		Gauge.builder("familiar.grid.price", this, p -> value(p.grid.forecast(), false))
			.description("The grid's price this hour, from the forecast (per kWh)")
			.register(registry);
	}

	private double value(List<GridHour> forecast, boolean carbon) {
		var now = clock.instant();
		return forecast.stream()
			.filter(hour -> hour.covers(now))
			.map(hour -> carbon ? hour.carbon() : hour.price())
			.filter(java.util.Objects::nonNull)
			.findFirst()
			.orElse(Double.NaN);
	}

	private Counter starts(WorkloadClass workload, String by) {
		return Counter.builder("familiar.energy.held.starts")
			.description("Held work that started: in its window, or because its deadline came")
			.tags("workload", workload.id(), "by", by)
			.register(registry);
	}

	EnergyWindow.Decision decide(WorkloadClass workload, Instant submitted) {
		var policy = policies.get(workload);
		var now = clock.instant();
		if (policy == null || !EnergySettings.deferrable(workload)) {
			return new EnergyWindow.Decision(true, now, "no energy policy for the class");
		}
		var today = LocalDate.ofInstant(now, settings.zone());
		var nextDay = today.plusDays(1).atStartOfDay(settings.zone()).toInstant();
		double used = policy.budgetWhPerDay() == null ? 0 : usedWh(workload, today);
		return EnergyWindow.decide(policy, grid.forecast(), submitted, now, used, nextDay, settings.zone());
	}

	/**
	 * Waits until the class's policy lets work submitted at {@code submitted} start.
	 * @return {@code false} if it gave up because {@code cancelled} said so or the thread was interrupted
	 */
	boolean await(WorkloadClass workload, Instant submitted, String what, BooleanSupplier cancelled) {
		var decision = decide(workload, submitted);
		if (decision.start()) {
			return true;
		}
		long id = ids.incrementAndGet();
		boolean waited = false;
		try {
			while (!decision.start()) {
				waited = true;
				held.put(id, new ComputeManagement.HeldWork(what, workload, submitted, decision.expectedStart(), decision.reason()));
				if (cancelled.getAsBoolean()) {
					return false;
				}
				long millis = Math.max(1, Math.min(60_000,
						decision.expectedStart().toEpochMilli() - clock.instant().toEpochMilli()));
				lock.lock();
				try {
					changed.await(millis, TimeUnit.MILLISECONDS);
				}
				finally {
					lock.unlock();
				}
				decision = decide(workload, submitted);
			}
			if (waited) {
				(decision.reason().contains("deadline") ? startedByDeadline : startedInWindow).get(workload).increment();
			}
			return true;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
		finally {
			held.remove(id);
		}
	}

	/** Wakes every held work to decide again (the forecast was read, or a test moved the clock). */
	void reconsider() {
		lock.lock();
		try {
			changed.signalAll();
		}
		finally {
			lock.unlock();
		}
	}

	List<ComputeManagement.HeldWork> held() {
		return held.values().stream().sorted(Comparator.comparing(ComputeManagement.HeldWork::expectedStart)).toList();
	}

	/** Whether the class's energy counts against a daily budget. */
	boolean budgeted(WorkloadClass workload) {
		var policy = policies.get(workload);
		return policy != null && policy.budgetWhPerDay() != null;
	}

	/** Adds (or, for a measurement's correction, takes away) energy from the class's day. */
	void used(WorkloadClass workload, Instant at, double wh) {
		if (!budgeted(workload) || wh == 0) {
			return;
		}
		var day = LocalDate.ofInstant(at, settings.zone());
		for (int attempt = 0; attempt < 2; attempt++) {
			int updated = db.sql("update energy_day set wh = wh + :wh where on_day = :day and workload = :workload")
				.param("wh", wh)
				.param("day", day)
				.param("workload", workload.id())
				.update();
			if (updated > 0) {
				return;
			}
			try {
				db.sql("insert into energy_day (on_day, workload, wh) values (:day, :workload, :wh)")
					.param("wh", wh)
					.param("day", day)
					.param("workload", workload.id())
					.update();
				return;
			}
			catch (DuplicateKeyException raced) {
				// Another replica inserted the day first: add to its row.
			}
		}
	}

	/** The class's day gets the measured energy in place of the estimate it was given. */
	@org.springframework.context.event.EventListener
	void on(EnergyMeasured measured) {
		used(measured.workload(), clock.instant(), (measured.joules() - measured.estimatedJoules()) / 3600);
	}

	double usedWh(WorkloadClass workload, LocalDate day) {
		return db.sql("select coalesce(sum(wh), 0) from energy_day where on_day = :day and workload = :workload")
			.param("day", day)
			.param("workload", workload.id())
			.query(Double.class)
			.single();
	}

	Map<WorkloadClass, EnergySettings.Policy> policies() {
		return policies;
	}
}
