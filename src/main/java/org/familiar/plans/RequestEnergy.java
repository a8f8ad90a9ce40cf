package org.familiar.plans;

import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A settled request's energy as the ledger keeps it: measured at its backend's power source, or
 * estimated from its tokens; and its grams of CO₂ where the grid's intensity was known when it ran.
 */
public record RequestEnergy(double wattHours, boolean measured, @Nullable Double co2Grams) {

	/** "0.120 Wh · 0.04 g CO₂", the way the pages write it. */
	public String label() {
		return format(wattHours, co2Grams);
	}

	/** Watt-hours (three decimals below 10) and grams of CO₂ (two decimals) when known. */
	public static String format(double wattHours, @Nullable Double co2Grams) {
		var wh = String.format(Locale.ROOT, wattHours < 10 ? "%.3f Wh" : "%.1f Wh", wattHours);
		return co2Grams == null ? wh : wh + String.format(Locale.ROOT, " · %.2f g CO₂", co2Grams);
	}

	/** Adds another request's figures; measured only if both were, CO₂ known where either was. */
	public RequestEnergy plus(RequestEnergy other) {
		return new RequestEnergy(wattHours + other.wattHours, measured && other.measured, UsageReport.sum(co2Grams, other.co2Grams));
	}
}
