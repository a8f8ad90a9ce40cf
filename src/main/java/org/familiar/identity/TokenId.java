package org.familiar.identity;

import java.util.UUID;

/** A personal access token's id (not the token itself). */
public record TokenId(UUID value) implements java.io.Serializable {

	@Override
	public String toString() {
		return value.toString();
	}
}
