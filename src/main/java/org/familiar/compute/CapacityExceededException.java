package org.familiar.compute;

import java.time.Duration;

/**
 * A request was refused for want of capacity: its class's queue on the backend was full, or it
 * waited longer than its class's {@code max-wait}. Nothing ran; the caller may retry after
 * {@link #retryAfter()}.
 */
public class CapacityExceededException extends RuntimeException {

	private final String backend;

	private final WorkloadClass workload;

	private final Duration retryAfter;

	public CapacityExceededException(String backend, WorkloadClass workload, String message, Duration retryAfter) {
		super(message);
		this.backend = backend;
		this.workload = workload;
		this.retryAfter = retryAfter;
	}

	public String backend() {
		return backend;
	}

	public WorkloadClass workload() {
		return workload;
	}

	public Duration retryAfter() {
		return retryAfter;
	}
}
