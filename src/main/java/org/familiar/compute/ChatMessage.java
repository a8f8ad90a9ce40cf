package org.familiar.compute;

/** One message of a chat, in the model-neutral form backends receive. */
public record ChatMessage(Role role, String content) {

	public enum Role {

		SYSTEM, USER, ASSISTANT,
		/** A tool's (or an old-style function's) result. */
		TOOL;

		public String id() {
			return name().toLowerCase(java.util.Locale.ROOT);
		}
	}

	public static ChatMessage system(String content) {
		return new ChatMessage(Role.SYSTEM, content);
	}

	public static ChatMessage user(String content) {
		return new ChatMessage(Role.USER, content);
	}
}
