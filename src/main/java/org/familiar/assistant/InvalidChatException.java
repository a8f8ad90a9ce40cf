package org.familiar.assistant;

/** A chat action that cannot be done as asked; the message says why, for the person to read. */
public class InvalidChatException extends RuntimeException {

	public InvalidChatException(String message) {
		super(message);
	}
}
