package org.familiar.assistant.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.jspecify.annotations.Nullable;

/** OpenAI's error body: {@code {"error":{"message","type","param","code"}}}. */
public record OpenAiError(Body error) {

	@JsonInclude(JsonInclude.Include.ALWAYS)
	public record Body(String message, String type, @Nullable String param, @Nullable String code) {
	}

	public static OpenAiError of(String message, String type, @Nullable String param, @Nullable String code) {
		return new OpenAiError(new Body(message, type, param, code));
	}
}
