package org.familiar.compute;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One hour of the grid forecast: from {@code start} for an hour, its carbon intensity (gCO₂/kWh)
 * and price (the feed's unit per kWh), either of which may be unknown.
 */
public record GridHour(Instant start, @Nullable Double carbon, @Nullable Double price) {

	public static final Duration LENGTH = Duration.ofHours(1);

	public boolean covers(Instant at) {
		return !at.isBefore(start) && at.isBefore(start.plus(LENGTH));
	}

	/** The value a policy ranks by: {@code carbon} or {@code price}. */
	public @Nullable Double value(String rankBy) {
		return rankBy.equals("price") ? price : carbon;
	}
}
