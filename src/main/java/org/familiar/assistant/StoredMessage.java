package org.familiar.assistant;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A message of a conversation. An assistant message is {@code streaming} while it is generated and
 * then {@code complete}, {@code stopped} (the person stopped it) or {@code failed} (the backend
 * failed; {@code detail} says how); a partial reply is always kept.
 *
 * @param memoryIds the memories that went into this reply's prompt
 * @param rating the person's thumbs up (1) or down (-1), if any
 * @param parentId the message this one follows (none for the first); a regenerated reply or an
 * edited message has the same parent as the one it replaces
 * @param active whether this is the version of its place the conversation shows
 */
public record StoredMessage(UUID id, int seq, String role, String content, String status, @Nullable String detail,
		@Nullable String model, Instant createdAt, List<String> memoryIds, @Nullable Integer rating,
		@Nullable UUID parentId, boolean active) {

	public StoredMessage {
		memoryIds = List.copyOf(memoryIds);
	}

	public static final String STREAMING = "streaming";

	public static final String COMPLETE = "complete";

	public static final String STOPPED = "stopped";

	public static final String FAILED = "failed";
}
