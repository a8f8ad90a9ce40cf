package org.familiar.assistant;

import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A chat in the web app, owned by one person. Its {@code kind} is {@code chat}, or {@code interview}
 * for the onboarding interview, whose first answers become memories.
 *
 * @param systemPrompt the person's instructions for this chat, sent first to the model, if any
 * @param temperature the sampling temperature for this chat's replies; none: the model's default
 * @param titled whether the title was written by the person or generated; until then it is the
 * start of the first message
 */
public record Conversation(UUID id, UUID person, String title, String model, Instant createdAt, Instant updatedAt,
		String kind, @Nullable String systemPrompt, @Nullable Double temperature, boolean titled) {

	public static final String CHAT = "chat";

	public static final String INTERVIEW = "interview";

	/** The longest title and system prompt a conversation keeps. */
	public static final int TITLE_LENGTH = 200, SYSTEM_PROMPT_LENGTH = 4000;
}
