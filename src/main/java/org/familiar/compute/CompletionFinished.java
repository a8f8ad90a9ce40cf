package org.familiar.compute;

import java.time.Duration;

/**
 * A completion ended, however it ended; published once per request so usage can be settled.
 */
public record CompletionFinished(String requestId, String requester, WorkloadClass workload, String model,
		String backend, TokenUsage usage, Outcome outcome, Duration duration) {

	public enum Outcome {
		COMPLETED, CANCELLED, FAILED
	}
}
