package org.familiar.compute;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.EnumMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The grid signal and when work that can wait runs, bound from {@code familiar.energy.*}; every key
 * is in {@code docs/energy.md}.
 *
 * @param gridFile a forecast in the JSON shape {@code docs/energy.md} gives, read again when it changes
 * @param gridUrl the same shape from an HTTP feed
 * @param gridRefresh how often the file or feed is read
 * @param zone where "a day" begins and ends for the daily energy budgets
 * @param policies per workload class ({@code research}, {@code batch}): when its work may start
 * @param perPerson whether joules are also exported to Prometheus per person (a label per person)
 */
@ConfigurationProperties("familiar.energy")
public record EnergySettings(@Nullable Path gridFile, @Nullable URI gridUrl, @DefaultValue("PT15M") Duration gridRefresh,
		@DefaultValue("UTC") ZoneId zone, Map<String, Policy> policies, @DefaultValue("true") boolean perPerson) {

	public EnergySettings {
		policies = policies == null ? Map.of() : Map.copyOf(policies);
		for (var entry : policies.entrySet()) {
			var workload = WorkloadClass.parse(entry.getKey());
			if (workload.isEmpty() || !deferrable(workload.get())) {
				throw new IllegalArgumentException("familiar.energy.policies." + entry.getKey()
						+ ": only research and batch work waits for clean or cheap hours; interactive and app traffic never does");
			}
			entry.getValue().check("familiar.energy.policies." + entry.getKey());
		}
	}

	/** Whether work of the class may be held for a window: research and batch, never a person or an app waiting. */
	public static boolean deferrable(WorkloadClass workload) {
		return workload == WorkloadClass.RESEARCH || workload == WorkloadClass.BATCH;
	}

	/** The configured policy of each class that has one. */
	public Map<WorkloadClass, Policy> byClass() {
		var result = new EnumMap<WorkloadClass, Policy>(WorkloadClass.class);
		policies.forEach((name, policy) -> result.put(WorkloadClass.parse(name).orElseThrow(), policy));
		return result;
	}

	/**
	 * When one class's work may start. It starts at once where no forecast is known; otherwise when
	 * the hour's intensity (or price) is below the limit, or the hour is among the cleanest (or
	 * cheapest) {@code cleanestHours} of the {@code horizon} after the work was submitted, and in
	 * any case once it has waited {@code deadline}. The budget holds work of the class until the
	 * next day once the class used that many watt-hours today, deadline or not.
	 * @param belowCarbon start when the grid's carbon intensity is below this (gCO₂/kWh)
	 * @param belowPrice start when the price is below this (the feed's unit per kWh)
	 * @param cleanestHours start in the N cleanest (or cheapest) hours of the horizon
	 * @param rankBy {@code carbon} or {@code price}: what "cleanest" ranks by
	 * @param horizon how far ahead the cleanest hours are looked for (default 24 h)
	 * @param deadline the longest the work waits for a window (default 12 h)
	 * @param budgetWhPerDay the most energy the class may use per day, or none
	 */
	public record Policy(@Nullable Double belowCarbon, @Nullable Double belowPrice, @Nullable Integer cleanestHours,
			@DefaultValue("carbon") String rankBy, @DefaultValue("PT24H") Duration horizon,
			@DefaultValue("PT12H") Duration deadline, @Nullable Double budgetWhPerDay) {

		void check(String key) {
			if (!rankBy.equals("carbon") && !rankBy.equals("price")) {
				throw new IllegalArgumentException(key + ".rank-by is carbon or price, not " + rankBy);
			}
			if (cleanestHours != null && (cleanestHours < 1 || cleanestHours > 24 * 7)) {
				throw new IllegalArgumentException(key + ".cleanest-hours is between 1 and 168");
			}
			if (deadline.isNegative() || horizon.isNegative() || horizon.isZero()) {
				throw new IllegalArgumentException(key + ": deadline and horizon are positive durations");
			}
			if (budgetWhPerDay != null && budgetWhPerDay < 0) {
				throw new IllegalArgumentException(key + ".budget-wh-per-day cannot be negative");
			}
		}

		/** Whether anything but the budget can hold work. */
		boolean waitsForWindow() {
			return belowCarbon != null || belowPrice != null || cleanestHours != null;
		}
	}
}
