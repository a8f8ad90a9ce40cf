package org.familiar.memory;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Memory settings ({@code familiar.memory.*}), described in docs/configuration.md.
 *
 * @param enabled whether replies use memories and the personality at all
 * @param topK at most this many facts, by relevance, go into a reply
 * @param threshold the least cosine similarity for a fact to count as relevant
 * @param promptBudget at most about this many tokens of memories and personality per request
 * @param mergeSimilarity a new memory at least this similar to an existing one replaces its wording
 * instead of being added
 * @param exactScanLimit up to this many memories a person's search scores every one exactly; above,
 * a binary-quantised scan picks {@code candidates} to score exactly
 * @param candidates how many memories the binary scan keeps for exact scoring
 * @param cachedMemories how many memories (across people) the retrieval index keeps in memory
 * @param extraction learning memories from conversations after each reply
 */
@ConfigurationProperties("familiar.memory")
public record MemorySettings(@DefaultValue("true") boolean enabled, @DefaultValue("5") int topK,
		@DefaultValue("0.4") double threshold, @DefaultValue("600") int promptBudget,
		@DefaultValue("0.92") double mergeSimilarity, @DefaultValue("4096") int exactScanLimit,
		@DefaultValue("400") int candidates, @DefaultValue("500000") long cachedMemories,
		@DefaultValue Extraction extraction) {

	/**
	 * @param enabled whether to ask a model for memories after each web chat reply
	 * @param model the model to ask; by default the one the conversation used
	 * @param maxTokens the longest answer the extraction may give
	 */
	public record Extraction(@DefaultValue("true") boolean enabled, @Nullable String model,
			@DefaultValue("400") int maxTokens) {
	}
}
