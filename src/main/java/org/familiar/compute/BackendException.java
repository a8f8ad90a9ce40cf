package org.familiar.compute;

/** A backend could not serve a request; the message names the backend and says what happened. */
public abstract class BackendException extends RuntimeException {

	private final String backend;

	protected BackendException(String backend, String message, Throwable cause) {
		super(message, cause);
		this.backend = backend;
	}

	public String backend() {
		return backend;
	}
}
