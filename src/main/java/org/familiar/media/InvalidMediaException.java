package org.familiar.media;

import org.jspecify.annotations.Nullable;

/** A media request or registration that cannot be taken as it is; a 400 naming the field. */
public class InvalidMediaException extends RuntimeException {

	private final @Nullable String param;

	public InvalidMediaException(String message, @Nullable String param) {
		super(message);
		this.param = param;
	}

	public @Nullable String param() {
		return param;
	}
}
