package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The body of {@code POST /v1/chat/completions}, as OpenAI defines it (the fields Familiar uses). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChatCompletionRequest(@Nullable String model, @Nullable List<Message> messages, @Nullable Boolean stream,
		@Nullable StreamOptions streamOptions, @Nullable Integer maxTokens, @Nullable Integer maxCompletionTokens,
		@Nullable Double temperature, @Nullable Double topP, @Nullable JsonNode stop, @Nullable Integer n,
		@Nullable String user) {

	/** {@code content} is a string or an array of parts ({@code {"type":"text","text":…}}). */
	public record Message(@Nullable String role, @Nullable JsonNode content, @Nullable String name) {
	}

	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	public record StreamOptions(@Nullable Boolean includeUsage) {
	}

	public boolean streaming() {
		return Boolean.TRUE.equals(stream);
	}

	public boolean includeUsage() {
		return streamOptions != null && Boolean.TRUE.equals(streamOptions.includeUsage());
	}
}
