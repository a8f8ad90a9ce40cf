package org.familiar.assistant;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An image or a file attached to a message. An image keeps its bytes ({@code data}); a text or
 * PDF file the text read from it ({@code text}).
 */
public record Attachment(UUID id, String name, String mediaType, long size, byte @Nullable [] data,
		@Nullable String text) {

	public boolean image() {
		return data != null;
	}

	/** What the conversation shows of it, without its content. */
	public Info info() {
		return new Info(id, name, mediaType, size, image());
	}

	/** An attachment as a message lists it. */
	public record Info(UUID id, String name, String mediaType, long size, boolean image) {
	}
}
