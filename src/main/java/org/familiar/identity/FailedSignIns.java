package org.familiar.identity;

import java.time.Instant;

/**
 * Wrong passwords tried on a person's account since they last signed in, shown to them when they
 * next do, so they learn that someone tried.
 * @param lastFrom the client address of the latest attempt
 */
public record FailedSignIns(int count, Instant lastAt, String lastFrom) {

	/** The session attribute that holds them from sign-in until the first page shows them. */
	public static final String SESSION_ATTRIBUTE = "familiar.failedSignIns";
}
