package org.familiar.compute;

import org.jspecify.annotations.Nullable;

/**
 * A finished (or cancelled) completion: the full text streamed and the tokens it used.
 *
 * @param wire a plain pass-through request's response body as the backend sent it (only {@code id}
 *     and {@code model} rewritten), or {@code null} when the reply is only text
 */
public record ChatResult(String requestId, String model, String backend, String text, FinishReason finishReason,
		TokenUsage usage, byte @Nullable [] wire) {

	public ChatResult(String requestId, String model, String backend, String text, FinishReason finishReason,
			TokenUsage usage) {
		this(requestId, model, backend, text, finishReason, usage, null);
	}
}
