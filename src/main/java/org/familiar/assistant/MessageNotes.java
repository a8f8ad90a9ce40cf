package org.familiar.assistant;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.familiar.identity.Caller;
import org.jspecify.annotations.Nullable;

/**
 * What other modules understood from a person's chat message and did about it ("remind me at 5pm
 * to call mum" → a reminder), shown under the message as understood. Implemented by the modules
 * that act on messages; the chat asks each.
 */
public interface MessageNotes {

	/** Reads a message as it is sent; what it did about it, if anything. */
	List<Note> read(Caller caller, UUID message, String text);

	/** The notes made earlier on these messages, by message. */
	Map<UUID, List<Note>> notes(Caller caller, Collection<UUID> messages);

	/** A line under the message, and where to change what it says (a page of the web app). */
	record Note(String text, @Nullable String link) {
	}
}
