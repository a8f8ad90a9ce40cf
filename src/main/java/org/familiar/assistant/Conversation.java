package org.familiar.assistant;

import java.time.Instant;
import java.util.UUID;

/**
 * A chat in the web app, owned by one person. Its {@code kind} is {@code chat}, or {@code interview}
 * for the onboarding interview, whose first answers become memories.
 */
public record Conversation(UUID id, UUID person, String title, String model, Instant createdAt, Instant updatedAt,
		String kind) {

	public static final String CHAT = "chat";

	public static final String INTERVIEW = "interview";
}
