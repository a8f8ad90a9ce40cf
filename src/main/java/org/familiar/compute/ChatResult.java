package org.familiar.compute;

/** A finished (or cancelled) completion: the full text streamed and the tokens it used. */
public record ChatResult(String requestId, String model, String backend, String text, FinishReason finishReason,
		TokenUsage usage) {
}
