package org.familiar.assistant.api;

import org.jspecify.annotations.Nullable;

/** The request is not valid; answered with 400 and OpenAI's {@code invalid_request_error}. */
public class InvalidRequestException extends RuntimeException {

	private final @Nullable String param;

	public InvalidRequestException(String message, @Nullable String param) {
		super(message);
		this.param = param;
	}

	public @Nullable String param() {
		return param;
	}
}
