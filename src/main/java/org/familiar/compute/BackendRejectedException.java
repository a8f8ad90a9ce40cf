package org.familiar.compute;

/** The backend refused the request as invalid (a 4xx, such as a prompt longer than its context). */
public class BackendRejectedException extends BackendException {

	private final int status;

	public BackendRejectedException(String backend, int status, String message) {
		super(backend, message, null);
		this.status = status;
	}

	public int status() {
		return status;
	}
}
