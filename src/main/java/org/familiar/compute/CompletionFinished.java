package org.familiar.compute;

import java.time.Duration;

/**
 * A completion ended, however it ended; published exactly once per request so usage can be settled.
 * {@code REFUSED} means it never ran (no capacity, no backend, or its caller left while it waited); {@code backend} is empty when none
 * was chosen. {@code energyWh} is the backend's configured energy per token applied to the usage.
 */
public record CompletionFinished(String requestId, String requester, WorkloadClass workload, String model,
		String backend, TokenUsage usage, double energyWh, Outcome outcome, Duration duration) {

	public enum Outcome {
		COMPLETED, CANCELLED, FAILED, REFUSED
	}
}
