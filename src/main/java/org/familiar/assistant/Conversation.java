package org.familiar.assistant;

import java.time.Instant;
import java.util.UUID;

/** A chat in the web app, owned by one person. */
public record Conversation(UUID id, UUID person, String title, String model, Instant createdAt, Instant updatedAt) {
}
