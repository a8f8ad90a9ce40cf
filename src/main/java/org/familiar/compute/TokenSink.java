package org.familiar.compute;

import java.io.IOException;

/**
 * Receives a reply as it is generated. Throwing (typically because the client went away) cancels
 * the generation: the backend request is closed and the partial result returned as
 * {@link FinishReason#CANCELLED}.
 */
@FunctionalInterface
public interface TokenSink {

	void accept(String text) throws IOException;

	/**
	 * Whether the caller has gone away; polled while the request waits for a slot, so a client
	 * that disconnects gives up its place at once. Called on the requesting thread.
	 */
	default boolean callerGone() {
		return false;
	}
}
