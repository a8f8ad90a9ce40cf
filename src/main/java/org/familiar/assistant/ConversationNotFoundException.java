package org.familiar.assistant;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.ResponseStatus;

/** The person has no conversation with that id (it may belong to someone else). */
@ResponseStatus(HttpStatus.NOT_FOUND)
public class ConversationNotFoundException extends RuntimeException {

	public ConversationNotFoundException() {
		super("No such conversation");
	}
}
