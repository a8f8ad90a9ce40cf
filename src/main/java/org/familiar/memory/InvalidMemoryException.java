package org.familiar.memory;

/** A memory that cannot be stored as given (empty, too long, unknown kind); the message says why. */
public class InvalidMemoryException extends RuntimeException {

	public InvalidMemoryException(String message) {
		super(message);
	}
}
