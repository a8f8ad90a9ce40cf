package org.familiar.research;

/**
 * An app asked for the items or replies of a held-out suite: those are shown to the suite's owner
 * alone (in the web app or with their own token), never to an app acting for them.
 */
public class HeldOutException extends RuntimeException {

	public HeldOutException() {
		super("This suite is held out: its items and the replies to them are shown to its owner only, never to apps.");
	}
}
