package org.familiar.plans;

import java.time.Instant;

/** The person's plan has no tokens left in its window for this request; nothing ran. */
public class QuotaExceededException extends RuntimeException {

	private final Instant resetsAt;

	public QuotaExceededException(String message, Instant resetsAt) {
		super(message);
		this.resetsAt = resetsAt;
	}

	/** When enough of the window's usage will have expired for the budget to free up. */
	public Instant resetsAt() {
		return resetsAt;
	}
}
