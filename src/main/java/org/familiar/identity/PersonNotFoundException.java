package org.familiar.identity;

/** No person has that name or id. */
public class PersonNotFoundException extends RuntimeException {

	public PersonNotFoundException(String who) {
		super("No person named '" + who + "'");
	}
}
