package org.familiar.research;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** What a finished (or partial) run came to; the CLI prints it as JSON, snake_case. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RunSummary(String run, String suite, String model, String status, int items, int graded, int correct,
		double accuracy, double ciLow, double ciHigh, long tokens, double energyWh, @org.jspecify.annotations.Nullable Double co2Grams) {
}
