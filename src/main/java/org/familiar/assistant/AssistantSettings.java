package org.familiar.assistant;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The chat app and the OpenAI-compatible API ({@code familiar.assistant.*}).
 *
 * @param maxRequestSize the largest request body {@code /v1} accepts (413 beyond)
 * @param defaultModel the model a new chat starts with; the first available one when unset
 */
@ConfigurationProperties("familiar.assistant")
public record AssistantSettings(@DefaultValue("4MB") DataSize maxRequestSize, @Nullable String defaultModel) {
}
