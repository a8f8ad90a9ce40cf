package org.familiar.identity;

import java.util.UUID;

/** A person's id. */
public record PersonId(UUID value) implements java.io.Serializable {

	public static PersonId random() {
		return new PersonId(UUID.randomUUID());
	}

	@Override
	public String toString() {
		return value.toString();
	}
}
