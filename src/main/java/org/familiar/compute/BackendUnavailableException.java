package org.familiar.compute;

import org.jspecify.annotations.Nullable;

/** The backend cannot take the request at all: unreachable, not ready, or its model is missing. */
public class BackendUnavailableException extends BackendException {

	public BackendUnavailableException(String backend, String message, @Nullable Throwable cause) {
		super(backend, message, cause);
	}
}
