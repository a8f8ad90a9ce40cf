package org.familiar.assistant;

import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A message as the conversation shows it: which of its place's versions it is (1-based), the
 * versions before and after it, to flip to, and what is attached to it.
 */
public record ThreadMessage(StoredMessage message, int version, int versions, @Nullable UUID previous,
		@Nullable UUID next, List<Attachment.Info> attachments) {

	public ThreadMessage {
		attachments = List.copyOf(attachments);
	}

	ThreadMessage with(List<Attachment.Info> others) {
		return new ThreadMessage(message, version, versions, previous, next, others);
	}
}
