package org.familiar.compute;

/** Why a reply ended. A pass-through reply keeps the backend's own wire value whatever it is. */
public enum FinishReason {

	/** The model finished (or hit a stop sequence). */
	STOP,
	/** The token limit was reached. */
	LENGTH,
	/** The model called tools and waits for their results. */
	TOOL_CALLS,
	/** The backend's content filter ended the reply. */
	CONTENT_FILTER,
	/** The caller went away or asked to stop; the reply is partial. */
	CANCELLED;

	/** The name in OpenAI's wire format. */
	public String wire() {
		return switch (this) {
			case LENGTH -> "length";
			case TOOL_CALLS -> "tool_calls";
			case CONTENT_FILTER -> "content_filter";
			default -> "stop";
		};
	}

	/** The reason a wire value names ({@code function_call} is the old name of tool calls). */
	public static FinishReason ofWire(String wire) {
		return switch (wire) {
			case "length" -> LENGTH;
			case "tool_calls", "function_call" -> TOOL_CALLS;
			case "content_filter" -> CONTENT_FILTER;
			default -> STOP;
		};
	}
}
