package org.familiar.identity;

/** An account could not be created or changed as asked; the message says why, for the person. */
public class InvalidAccountException extends RuntimeException {

	public InvalidAccountException(String message) {
		super(message);
	}
}
