package org.familiar.identity;

import java.util.UUID;

/** A personal access token's id (not the token itself). */
public record TokenId(UUID value) {

	@Override
	public String toString() {
		return value.toString();
	}
}
