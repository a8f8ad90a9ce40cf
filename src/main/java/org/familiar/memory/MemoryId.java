package org.familiar.memory;

import java.util.UUID;

/** A memory's id. */
public record MemoryId(UUID value) {

	public static MemoryId random() {
		return new MemoryId(UUID.randomUUID());
	}

	/** @throws MemoryNotFoundException if {@code text} is not an id at all */
	public static MemoryId parse(String text) {
		try {
			return new MemoryId(UUID.fromString(text));
		}
		catch (IllegalArgumentException ex) {
			throw new MemoryNotFoundException();
		}
	}

	@Override
	public String toString() {
		return value.toString();
	}
}
