package org.familiar.assistant;

import java.util.List;
import org.familiar.compute.TokenSink;
import org.familiar.memory.Memory;
import org.jspecify.annotations.Nullable;

/** Receives a web chat reply: first what memory contributed, then the tokens. */
public interface ReplySink extends TokenSink {

	/**
	 * Called once before the first token.
	 * @param used the memories that went into the prompt
	 * @param remembered what the message itself asked Familiar to remember ("remember that…"), if anything
	 */
	default void recalled(List<Memory> used, @Nullable Memory remembered) {
	}

	/** What was understood from the person's message and done about it (a reminder set), after {@link #recalled}. */
	default void noted(List<MessageNotes.Note> notes) {
	}

	/** Called once the reply is saved as begun, with its id (before {@link #recalled}). */
	default void started(java.util.UUID reply) {
	}

	/** A sink that only takes tokens. */
	static ReplySink of(TokenSink tokens) {
		return new ReplySink() {
			@Override
			public void accept(String text) throws java.io.IOException {
				tokens.accept(text);
			}

			@Override
			public boolean callerGone() {
				return tokens.callerGone();
			}
		};
	}
}
