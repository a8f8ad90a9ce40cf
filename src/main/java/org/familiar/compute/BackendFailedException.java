package org.familiar.compute;

import org.jspecify.annotations.Nullable;

/**
 * The backend failed while serving the request (an error status, or the connection dropped
 * mid-reply). {@link #partial()} holds what had been generated before, possibly empty.
 */
public class BackendFailedException extends BackendException {

	private final ChatResult partial;

	public BackendFailedException(String backend, String message, ChatResult partial, @Nullable Throwable cause) {
		super(backend, message, cause);
		this.partial = partial;
	}

	public ChatResult partial() {
		return partial;
	}
}
