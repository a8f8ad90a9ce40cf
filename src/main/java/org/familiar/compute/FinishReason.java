package org.familiar.compute;

/** Why a reply ended. */
public enum FinishReason {

	/** The model finished (or hit a stop sequence). */
	STOP,
	/** The token limit was reached. */
	LENGTH,
	/** The caller went away or asked to stop; the reply is partial. */
	CANCELLED;

	/** The name in OpenAI's wire format. */
	public String wire() {
		return this == LENGTH ? "length" : "stop";
	}
}
