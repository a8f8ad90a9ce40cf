package org.familiar.compute;

import org.jspecify.annotations.Nullable;

/**
 * The backend refused the request as invalid (a 4xx, such as a prompt longer than its context);
 * {@link #param} is the field it named, if it named one, so a client of the pass-through learns
 * which of its fields the model server objected to.
 */
public class BackendRejectedException extends BackendException {

	private final int status;

	private final @Nullable String param;

	public BackendRejectedException(String backend, int status, String message) {
		this(backend, status, message, null);
	}

	public BackendRejectedException(String backend, int status, String message, @Nullable String param) {
		super(backend, message, null);
		this.status = status;
		this.param = param;
	}

	public int status() {
		return status;
	}

	public @Nullable String param() {
		return param;
	}
}
