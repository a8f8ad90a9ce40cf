package org.familiar.compute;

/**
 * Tokens a completion used.
 *
 * @param reported whether the backend reported these counts (else they were counted or estimated)
 */
public record TokenUsage(int promptTokens, int completionTokens, boolean reported) {

	public int totalTokens() {
		return promptTokens + completionTokens;
	}
}
