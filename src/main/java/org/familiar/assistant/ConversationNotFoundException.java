package org.familiar.assistant;

/** The person has no conversation with that id (it may belong to someone else). */
public class ConversationNotFoundException extends RuntimeException {

	public ConversationNotFoundException() {
		super("No such conversation");
	}
}
