package org.familiar.compute;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A chat completion to run.
 *
 * @param requestId unique per request; events and usage are keyed by it
 * @param requester who is billed, opaque to compute (a person's id)
 * @param maxTokens the longest reply, or {@code null} for the backend's default
 */
public record ChatRequest(String requestId, String requester, WorkloadClass workload, String model,
		List<ChatMessage> messages, @Nullable Integer maxTokens, @Nullable Double temperature,
		@Nullable Double topP, List<String> stop) {

	public ChatRequest {
		messages = List.copyOf(messages);
		stop = List.copyOf(stop);
	}
}
