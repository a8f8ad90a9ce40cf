package org.familiar.identity;

import java.time.Instant;

/**
 * Wrong passwords tried on a person's account since they last signed in, shown to them when they
 * next do, so they learn that someone tried.
 * @param lastFrom the client address of the latest attempt
 */
public record FailedSignIns(int count, Instant lastAt, String lastFrom) implements java.io.Serializable {

	/** The session attribute that holds them from sign-in until the first page shows them. */
	public static final String SESSION_ATTRIBUTE = "familiar.failedSignIns";

	private static final java.time.format.DateTimeFormatter UTC = java.time.format.DateTimeFormatter
		.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
		.withZone(java.time.ZoneOffset.UTC);

	/** When the latest attempt was, for people: {@code 2026-12-01 07:41 UTC}. */
	public String lastAtUtc() {
		return UTC.format(lastAt);
	}
}
