package org.familiar.attention;

/** No such notification, device or digest for this caller (also when it is another person's). */
public class NotificationNotFoundException extends RuntimeException {

	public NotificationNotFoundException(String message) {
		super(message);
	}
}
