package org.familiar.assistant;

import org.jspecify.annotations.Nullable;
import java.util.UUID;

/**
 * A message as the conversation shows it: which of its place's versions it is (1-based) and the
 * versions before and after it, to flip to.
 */
public record ThreadMessage(StoredMessage message, int version, int versions, @Nullable UUID previous,
		@Nullable UUID next) {
}
