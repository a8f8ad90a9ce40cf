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
}
