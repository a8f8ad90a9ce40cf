package org.familiar.compute;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Whether work of a class may start now, by its {@link EnergySettings.Policy}, the grid forecast
 * and what the class used today: a pure function of its arguments (the clock is one of them).
 */
public final class EnergyWindow {

	private EnergyWindow() {
	}

	/**
	 * @param start whether it may start now
	 * @param expectedStart when it is expected to start (now if it may)
	 * @param reason in plain words, for the pages and the logs
	 */
	public record Decision(boolean start, Instant expectedStart, String reason) {
	}

	private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("HH:mm", Locale.ROOT);

	/**
	 * @param submitted when the work was asked for; its deadline counts from here
	 * @param usedTodayWh what the class used since the day began
	 * @param nextDay when the next day begins (the budget's reset)
	 * @param zone how times are written in the reason
	 */
	public static Decision decide(EnergySettings.Policy policy, List<GridHour> forecast, Instant submitted, Instant now,
			double usedTodayWh, Instant nextDay, ZoneId zone) {
		if (policy.budgetWhPerDay() != null && usedTodayWh >= policy.budgetWhPerDay()) {
			return new Decision(false, nextDay, String.format(Locale.ROOT,
					"held: the class used %.1f Wh of its %.1f Wh for today; it starts when the day turns (%s)", usedTodayWh,
					policy.budgetWhPerDay(), HOUR.withZone(zone).format(nextDay)));
		}
		if (!policy.waitsForWindow()) {
			return new Decision(true, now, "no window to wait for");
		}
		var deadline = submitted.plus(policy.deadline());
		if (!now.isBefore(deadline)) {
			return new Decision(true, now, "started: its deadline came");
		}
		var current = forecast.stream().filter(hour -> hour.covers(now)).findFirst().orElse(null);
		if (current == null) {
			return new Decision(true, now, "started: the grid forecast does not cover this hour");
		}
		var window = cleanest(policy, forecast, submitted);
		if (opens(policy, current, window)) {
			return new Decision(true, now, "started: " + describe(policy, current));
		}
		var next = forecast.stream()
			.filter(hour -> hour.start().isAfter(now) && hour.start().isBefore(deadline) && opens(policy, hour, window))
			.map(GridHour::start)
			.min(Comparator.naturalOrder())
			.orElse(deadline);
		var fmt = HOUR.withZone(zone);
		return new Decision(false, next, next.equals(deadline)
				? "held for clean hours: none comes before its deadline, so it starts then (" + fmt.format(deadline) + ")"
				: "held for clean hours: expected to start at " + fmt.format(next) + " (" + describe(policy,
						forecast.stream().filter(h -> h.start().equals(next)).findFirst().orElseThrow()) + "), by "
						+ fmt.format(deadline) + " at the latest");
	}

	private static boolean opens(EnergySettings.Policy policy, GridHour hour, List<GridHour> window) {
		return policy.belowCarbon() != null && hour.carbon() != null && hour.carbon() < policy.belowCarbon()
				|| policy.belowPrice() != null && hour.price() != null && hour.price() < policy.belowPrice()
				|| window.contains(hour);
	}

	/** The policy's cleanest (or cheapest) hours of the horizon after {@code submitted}. */
	static List<GridHour> cleanest(EnergySettings.Policy policy, List<GridHour> forecast, Instant submitted) {
		if (policy.cleanestHours() == null) {
			return List.of();
		}
		var from = submitted.minus(GridHour.LENGTH);
		var until = submitted.plus(policy.horizon());
		return forecast.stream()
			.filter(hour -> hour.start().isAfter(from) && hour.start().isBefore(until) && hour.value(policy.rankBy()) != null)
			.sorted(Comparator.comparingDouble((GridHour hour) -> hour.value(policy.rankBy())).thenComparing(GridHour::start))
			.limit(policy.cleanestHours())
			.toList();
	}

	private static String describe(EnergySettings.Policy policy, GridHour hour) {
		var parts = new java.util.ArrayList<String>();
		if (hour.carbon() != null) {
			parts.add(String.format(Locale.ROOT, "%.0f gCO₂/kWh", hour.carbon()));
		}
		if (hour.price() != null) {
			parts.add(String.format(Locale.ROOT, "price %.3f/kWh", hour.price()));
		}
		return parts.isEmpty() ? "no figures" : String.join(", ", parts);
	}

	/** The carbon intensity at {@code at}, if the forecast covers it. */
	public static @Nullable Double carbonAt(List<GridHour> forecast, Instant at) {
		for (var hour : forecast) {
			if (hour.covers(at)) {
				return hour.carbon();
			}
		}
		return null;
	}
}
