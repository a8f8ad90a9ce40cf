package org.familiar.assistant.api;

/** A request to a {@code /v1} path that does not exist. */
class UnknownPathException extends RuntimeException {

	UnknownPathException() {
		super(null, null, false, false);
	}
}
