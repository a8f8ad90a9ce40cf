package org.familiar.identity;

import java.time.Duration;
import org.springframework.security.core.AuthenticationException;

/** Too many invalid bearer tokens came from this client address; it must wait before trying again. */
public class GuessesThrottledException extends AuthenticationException {

	private final Duration retryAfter;

	GuessesThrottledException(Duration retryAfter) {
		super("Too many requests with invalid access tokens from this address; try again in "
				+ seconds(retryAfter) + " s.");
		this.retryAfter = retryAfter;
	}

	GuessesThrottledException(Duration retryAfter, String what) {
		super(what + "; try again in " + seconds(retryAfter) + " s.");
		this.retryAfter = retryAfter;
	}

	/** Whole seconds, at least one, as the Retry-After header wants them. */
	public long retryAfterSeconds() {
		return seconds(retryAfter);
	}

	private static long seconds(Duration wait) {
		return Math.max(1, (wait.toMillis() + 999) / 1000);
	}
}
