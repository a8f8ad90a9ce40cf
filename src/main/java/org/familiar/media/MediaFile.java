package org.familiar.media;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.familiar.identity.PersonId;
import org.jspecify.annotations.Nullable;

/**
 * A generated or uploaded file, without its bytes.
 *
 * @param kind {@code image} or {@code video}
 * @param origin {@link Origin}
 * @param characters what it was made with, each as "name (grant)"
 */
public record MediaFile(UUID id, PersonId owner, String kind, String contentType, Origin origin, @Nullable String model,
		@Nullable String backend, @Nullable String prompt, List<String> characters, Instant createdAt) {

	public MediaFile {
		characters = List.copyOf(characters);
	}

	/** How a file came to be, as its manifest states it. */
	public enum Origin {

		/** Made by a model from a prompt. */
		AI_GENERATED("ai-generated"),

		/** A person's upload changed by a model. */
		AI_EDITED("ai-edited"),

		/** Uploaded by a person who says they made it without AI. */
		HUMAN_MADE("human-made"),

		/** Uploaded, nothing said about how it was made. */
		UPLOADED("uploaded");

		private final String id;

		Origin(String id) {
			this.id = id;
		}

		public String id() {
			return id;
		}

		public String label() {
			return switch (this) {
				case AI_GENERATED -> "AI-generated";
				case AI_EDITED -> "AI-edited";
				case HUMAN_MADE -> "Human-made (the uploader says)";
				case UPLOADED -> "Uploaded";
			};
		}

		public static Origin of(String id) {
			for (var origin : values()) {
				if (origin.id.equals(id)) {
					return origin;
				}
			}
			throw new IllegalArgumentException("No origin '" + id + "'");
		}
	}
}
