package org.familiar.attention;

import java.util.Locale;

/** How much a notification matters to whoever sent it; only {@link #CRITICAL} gets through everything. */
public enum Urgency {

	LOW, NORMAL, HIGH, CRITICAL;

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	/** @throws InvalidAttentionException for anything but low, normal, high or critical */
	public static Urgency of(String id) {
		for (var urgency : values()) {
			if (urgency.id().equals(id)) {
				return urgency;
			}
		}
		throw new InvalidAttentionException("urgency is one of low, normal, high, critical; not '" + id + "'.");
	}
}
