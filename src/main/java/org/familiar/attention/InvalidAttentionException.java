package org.familiar.attention;

/** A notification, a context or rules that cannot be taken as sent (a 400, naming what is wrong). */
public class InvalidAttentionException extends RuntimeException {

	public InvalidAttentionException(String message) {
		super(message);
	}
}
