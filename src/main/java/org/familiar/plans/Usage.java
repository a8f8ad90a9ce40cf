package org.familiar.plans;

import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A person's usage in their plan's current (rolling) window.
 *
 * @param tokenBudget tokens per window, 0 for no limit
 * @param usedTokens tokens charged in the window
 * @param heldTokens tokens reserved by requests still running
 * @param remainingTokens what is left, or -1 without a limit
 * @param resetsAt when the oldest usage in the window expires, if any
 * @param ownBudget whether an administrator gave the person a budget of their own instead of the plan's
 */
public record Usage(String plan, Duration window, long tokenBudget, long usedTokens, long heldTokens,
		long remainingTokens, long requests, double energyWh, @Nullable Instant resetsAt, boolean ownBudget) {
}
