package org.familiar.assistant.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** What {@code /v1} answers, in OpenAI's wire format. */
public final class ChatCompletionResponses {

	private ChatCompletionResponses() {
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	public record Completion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	@JsonInclude(JsonInclude.Include.ALWAYS)
	public record Choice(int index, Message message, String finishReason, @Nullable Object logprobs) {
	}

	@JsonInclude(JsonInclude.Include.ALWAYS)
	public record Message(String role, String content, @Nullable String refusal) {
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	public record Usage(int promptTokens, int completionTokens, int totalTokens) {
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	@JsonInclude(JsonInclude.Include.NON_NULL)
	public record Chunk(String id, String object, long created, String model, List<ChunkChoice> choices,
			@Nullable Usage usage) {
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	@JsonInclude(JsonInclude.Include.ALWAYS)
	public record ChunkChoice(int index, Delta delta, @Nullable String finishReason, @Nullable Object logprobs) {
	}

	@JsonInclude(JsonInclude.Include.NON_NULL)
	public record Delta(@Nullable String role, @Nullable String content) {
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	public record Model(String id, String object, long created, String ownedBy) {
	}

	public record ModelList(String object, List<Model> data) {
	}
}
