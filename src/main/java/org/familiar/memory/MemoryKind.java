package org.familiar.memory;

import java.util.Locale;

/**
 * A fact about the person is recalled when it is relevant to what they ask; a preference (how they
 * like to be answered) goes into every reply.
 */
public enum MemoryKind {

	FACT, PREFERENCE;

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	/** @throws InvalidMemoryException for anything but {@code fact} or {@code preference} */
	public static MemoryKind of(String id) {
		for (var kind : values()) {
			if (kind.id().equalsIgnoreCase(id.strip())) {
				return kind;
			}
		}
		throw new InvalidMemoryException("kind must be 'fact' or 'preference', not '" + id + "'.");
	}
}
