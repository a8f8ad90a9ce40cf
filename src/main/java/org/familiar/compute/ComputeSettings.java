package org.familiar.compute;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Model backends and the embedded engine, bound from {@code familiar.*}; every key is listed in
 * {@code docs/configuration.md}.
 *
 * @param home where Familiar keeps its database, keys and downloaded models
 * @param backends OpenAI-compatible servers by name ({@code familiar.backends.NAME.url})
 * @param embedded the in-JVM engine
 * @param healthCheckInterval how often backends are probed ({@code GET /models})
 */
@ConfigurationProperties("familiar")
public record ComputeSettings(Path home, Map<String, Backend> backends, @DefaultValue Embedded embedded,
		@DefaultValue("PT30S") Duration healthCheckInterval) {

	public ComputeSettings {
		backends = backends == null ? Map.of() : Map.copyOf(backends);
	}

	/**
	 * @param url base URL of the OpenAI-compatible API, ending in {@code /v1}
	 * @param apiKey sent as a bearer token, if set
	 * @param models the models to offer; when empty, discovered from {@code GET /models}
	 * @param maxConcurrent how many requests the backend gets at once
	 * @param timeout the longest a single request may take
	 */
	public record Backend(URI url, @Nullable String apiKey, @DefaultValue List<String> models,
			@DefaultValue("8") int maxConcurrent, @DefaultValue("PT10M") Duration timeout) {
	}

	/**
	 * @param enabled whether the embedded engine is offered at all
	 * @param model the Hugging Face repository of the model ({@code owner/name}, jlama format)
	 * @param modelsDir where models live; defaults to {@code familiar.home/models}
	 * @param maxConcurrent generations at once (each uses all cores)
	 * @param maxTokens the longest reply when a request sets no limit
	 */
	public record Embedded(@DefaultValue("true") boolean enabled,
			@DefaultValue("tjake/Llama-3.2-1B-Instruct-JQ4") String model, @Nullable Path modelsDir,
			@DefaultValue("1") int maxConcurrent,
			@DefaultValue("512") int maxTokens) {
	}
}
