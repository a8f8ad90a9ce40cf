package org.familiar.media;

/** No such file, job or character for this caller (another person's is not theirs to see): a 404. */
public class MediaNotFoundException extends RuntimeException {

	public MediaNotFoundException(String message) {
		super(message);
	}
}
