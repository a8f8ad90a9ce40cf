package org.familiar.compute;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A chat completion to run.
 *
 * @param requestId unique per request; events and usage are keyed by it
 * @param requester who is billed, opaque to compute (a person's id)
 * @param messages the messages' text, which memory, the plan's estimate and backends that do not
 *     speak OpenAI read; with a {@link PassThrough}, a view of its messages
 * @param maxTokens the longest reply, or {@code null} for the backend's default
 * @param trustedOnly whether only backends configured as trusted may see it (held-out evaluation items)
 * @param passThrough the client's own OpenAI body, or {@code null} when Familiar wrote the request
 */
public record ChatRequest(String requestId, String requester, WorkloadClass workload, String model,
		List<ChatMessage> messages, @Nullable Integer maxTokens, @Nullable Double temperature,
		@Nullable Double topP, List<String> stop, boolean trustedOnly, @Nullable PassThrough passThrough) {

	public ChatRequest {
		messages = List.copyOf(messages);
		stop = List.copyOf(stop);
	}

	public ChatRequest(String requestId, String requester, WorkloadClass workload, String model, List<ChatMessage> messages,
			@Nullable Integer maxTokens, @Nullable Double temperature, @Nullable Double topP, List<String> stop) {
		this(requestId, requester, workload, model, messages, maxTokens, temperature, topP, stop, false, null);
	}

	public ChatRequest withModel(String other) {
		return new ChatRequest(requestId, requester, workload, other, messages, maxTokens, temperature, topP, stop,
				trustedOnly, passThrough);
	}

	public ChatRequest withMessages(List<ChatMessage> other) {
		return new ChatRequest(requestId, requester, workload, model, other, maxTokens, temperature, topP, stop,
				trustedOnly, passThrough);
	}

	public ChatRequest withMaxTokens(@Nullable Integer other) {
		return new ChatRequest(requestId, requester, workload, model, messages, other, temperature, topP, stop,
				trustedOnly, passThrough);
	}

	public ChatRequest withPassThrough(@Nullable PassThrough other) {
		return new ChatRequest(requestId, requester, workload, model, messages, maxTokens, temperature, topP, stop,
				trustedOnly, other);
	}

	/** The same request under a new id: each attempt is its own reservation and its own event. */
	public ChatRequest withRequestId(String other) {
		return new ChatRequest(other, requester, workload, model, messages, maxTokens, temperature, topP, stop,
				trustedOnly, passThrough);
	}

	/** The same request, for trusted backends only. */
	public ChatRequest trustedBackendsOnly() {
		return new ChatRequest(requestId, requester, workload, model, messages, maxTokens, temperature, topP, stop, true,
				passThrough);
	}

	/** How many replies the request asks for ({@code n}); each may be {@link #maxTokens} long. */
	public int choices() {
		if (passThrough == null) {
			return 1;
		}
		// best_of (legacy completions) generates that many replies and returns n of them.
		return Math.max(1, Math.max(passThrough.body().path("n").asInt(1), passThrough.body().path("best_of").asInt(1)));
	}
}
