package org.familiar.plans;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Plans from {@code familiar.plans.NAME.*}; a person without a plan, or with one not configured,
 * is on {@code familiar.default-plan}. Listed in {@code docs/configuration.md}.
 *
 * @param plans the plans by name
 * @param defaultPlan the plan of people who have none
 * @param metering whether requests are checked against plans and recorded in the ledger at all
 */
@ConfigurationProperties("familiar")
public record PlanSettings(Map<String, Plan> plans, @DefaultValue("default") String defaultPlan,
		@DefaultValue("true") boolean metering) {

	/** Without any configuration: one plan, a million tokens per 30 days. */
	static final Plan FALLBACK = new Plan(1_000_000, Duration.ofDays(30), List.of(), List.of(), null, null, 100, 60);

	public PlanSettings {
		plans = plans == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(plans));
	}

	/** The named plan, else the default plan, else {@link #FALLBACK}. */
	Plan plan(@Nullable String name) {
		if (name != null && plans.containsKey(name)) {
			return plans.get(name);
		}
		return plans.getOrDefault(defaultPlan, FALLBACK);
	}

	String nameOf(@Nullable String name) {
		return name != null && plans.containsKey(name) ? name : defaultPlan;
	}

	/**
	 * @param tokenBudget tokens per window; 0 means no limit
	 * @param window the rolling window the budget covers (ISO duration)
	 * @param models the models (or aliases) the plan may use; empty means all
	 * @param workloads the workload classes it may use; empty means all
	 * @param maxRequestTokens the most one request may reserve (prompt and reply); none when unset
	 * @param fallbackModel the model requests move to when the budget is spent, if any
	 * @param images generated images per window; 0 means no limit
	 * @param videoSeconds seconds of generated video per window; 0 means no limit
	 */
	public record Plan(@DefaultValue("0") long tokenBudget, @DefaultValue("P30D") Duration window,
			@DefaultValue List<String> models, @DefaultValue List<String> workloads,
			@Nullable Integer maxRequestTokens, @Nullable String fallbackModel, @DefaultValue("100") long images,
			@DefaultValue("60") long videoSeconds) {

		/** The plan's limit of a media unit in its window (0: none). */
		long budget(MediaUnit unit) {
			return unit == MediaUnit.IMAGES ? images : videoSeconds;
		}
	}
}
