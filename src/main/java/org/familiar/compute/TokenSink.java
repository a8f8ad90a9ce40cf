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

	/**
	 * Whether this sink writes nothing to its caller until the reply is complete (a plain, not
	 * streamed, API response). Such a caller's departure shows nowhere, so while the backend works
	 * {@link #callerGone()} is also polled from another thread (never at the same time as this
	 * sink's other methods, and not after {@code chat} returned), and the generation is cancelled
	 * when it answers {@code true}.
	 */
	default boolean silentUntilDone() {
		return false;
	}
}
