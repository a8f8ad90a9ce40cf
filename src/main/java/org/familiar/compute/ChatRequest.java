package org.familiar.compute;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A chat completion to run.
 *
 * @param requestId unique per request; events and usage are keyed by it
 * @param requester who is billed, opaque to compute (a person's id)
 * @param maxTokens the longest reply, or {@code null} for the backend's default
 * @param trustedOnly whether only backends configured as trusted may see it (held-out evaluation items)
 */
public record ChatRequest(String requestId, String requester, WorkloadClass workload, String model,
		List<ChatMessage> messages, @Nullable Integer maxTokens, @Nullable Double temperature,
		@Nullable Double topP, List<String> stop, boolean trustedOnly) {

	public ChatRequest {
		messages = List.copyOf(messages);
		stop = List.copyOf(stop);
	}

	public ChatRequest(String requestId, String requester, WorkloadClass workload, String model, List<ChatMessage> messages,
			@Nullable Integer maxTokens, @Nullable Double temperature, @Nullable Double topP, List<String> stop) {
		this(requestId, requester, workload, model, messages, maxTokens, temperature, topP, stop, false);
	}

	public ChatRequest withModel(String other) {
		return new ChatRequest(requestId, requester, workload, other, messages, maxTokens, temperature, topP, stop, trustedOnly);
	}

	public ChatRequest withMessages(List<ChatMessage> other) {
		return new ChatRequest(requestId, requester, workload, model, other, maxTokens, temperature, topP, stop, trustedOnly);
	}

	public ChatRequest withMaxTokens(@Nullable Integer other) {
		return new ChatRequest(requestId, requester, workload, model, messages, other, temperature, topP, stop, trustedOnly);
	}

	/** The same request, for trusted backends only. */
	public ChatRequest trustedBackendsOnly() {
		return new ChatRequest(requestId, requester, workload, model, messages, maxTokens, temperature, topP, stop, true);
	}
}
