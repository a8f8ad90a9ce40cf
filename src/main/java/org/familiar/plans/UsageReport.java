package org.familiar.plans;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A person's usage in their plan's window, itemised: per day and model, per app (the token a
 * request came with; "web chat" for the session, "Familiar in the background" for the work it does
 * for the person unasked, such as titles and memory) and every request, and per workload class.
 */
public record UsageReport(Usage usage, List<Day> days, List<Source> sources, List<Request> requests,
		List<WorkloadShare> workloads, List<EnergyDay> energyDays) {

	/**
	 * One day's energy: all of it, the part measured at backends' power sources (the rest is
	 * estimated from tokens), and grams of CO₂ of the requests that ran where the grid's intensity
	 * was known ({@code null} if none did).
	 */
	public record EnergyDay(LocalDate day, long requests, double energyWh, double measuredWh, @Nullable Double co2Grams) {
	}

	/** What one workload class used: interactive chat, apps, and the background work (batch, research). */
	public record WorkloadShare(String workload, long tokens, long requests, double energyWh) {
	}

	/** One day and model. */
	public record Day(LocalDate day, String model, long tokens, long requests, double energyWh) {
	}

	/**
	 * One app or token; {@code id} is {@code null} for the web chat, {@code cap} for none.
	 */
	public record Source(String name, @Nullable UUID id, long tokens, long requests, double energyWh,
			@Nullable Instant lastUsed, @Nullable Long cap, @Nullable Double co2Grams) {
	}

	/** One settled request. */
	public record Request(Instant at, String requestId, String source, String model, String backend, String workload,
			long promptTokens, long completionTokens, long chargedTokens, double energyWh, String outcome, boolean energyMeasured,
			@Nullable Double co2Grams) {
	}

	static @Nullable Double sum(@Nullable Double a, @Nullable Double b) {
		if (a == null || b == null) {
			return a == null ? b : a;
		}
		return a + b;
	}
}
