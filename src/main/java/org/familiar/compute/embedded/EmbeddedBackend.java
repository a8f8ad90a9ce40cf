package org.familiar.compute.embedded;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.model.functions.Generator;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.SafeTensorSupport;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.familiar.compute.BackendRejectedException;
import org.familiar.compute.BackendUnavailableException;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ComputeSettings;
import org.familiar.compute.FinishReason;
import org.familiar.compute.PassThrough;
import org.familiar.compute.backend.ChatBackend;
import org.familiar.compute.backend.Generation;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small open model run inside the JVM by jlama (pure Java, Vector API). The model is looked for
 * under {@code models-dir/OWNER_NAME}; if it is missing it is downloaded on first use, with
 * progress logged and shown in the model list; if that fails (offline), the request fails with a
 * message that names both fixes. See {@code docs/embedded-engine.md} for why jlama.
 */
public final class EmbeddedBackend extends ChatBackend {

	public static final String NAME = "embedded";

	private static final Logger log = LoggerFactory.getLogger(EmbeddedBackend.class);

	private final String owner;

	private final String model;

	private final Path modelsDir;

	private final int defaultMaxTokens;

	private final Object loading = new Object();

	private volatile @Nullable AbstractModel loaded;

	private volatile @Nullable String progress;

	public EmbeddedBackend(ComputeSettings.Embedded settings, Path home) {
		super(NAME);
		var parts = settings.model().split("/", 2);
		this.owner = parts.length == 2 ? parts[0] : "";
		this.model = parts.length == 2 ? parts[1] : parts[0];
		this.modelsDir = settings.modelsDir() != null ? settings.modelsDir() : home.resolve("models");
		this.defaultMaxTokens = settings.maxTokens();
	}

	/** The name clients use for the embedded model. */
	public String modelId() {
		return model;
	}

	/** Where the model's files are (or would be) kept. */
	public Path modelDir() {
		return SafeTensorSupport.constructLocalModelPath(modelsDir.toString(), owner.isEmpty() ? null : owner, model);
	}

	/** What the web chat sizes attachments against: the engine's window for the small models it runs. */
	public static final int CONTEXT_LENGTH = 4096;

	@Override
	public List<String> probe() {
		var failed = downloadFailed;
		// A download that failed lately: not offered as answering (the chat shows how to connect a
		// model server) until it is worth trying again.
		if (failed != null && failed.plus(java.time.Duration.ofMinutes(10)).isAfter(java.time.Instant.now())) {
			throw new BackendUnavailableException(NAME, "The embedded model could not be downloaded", null);
		}
		return List.of(model);
	}

	private volatile java.time.@org.jspecify.annotations.Nullable Instant downloadFailed;

	@Override
	public String status(String ignored) {
		if (!vectorApi()) {
			return "unavailable: start the JVM with --add-modules jdk.incubator.vector";
		}
		if (loaded != null) {
			return "ready";
		}
		var now = progress;
		if (now != null) {
			return now;
		}
		if (downloadFailed != null && !SafeTensorSupport.isModelLocal(modelDir())) {
			return "could not be downloaded";
		}
		return SafeTensorSupport.isModelLocal(modelDir()) ? "downloaded" : "downloads on first use";
	}

	/**
	 * The request fields the engine honours (or that do not change the reply); any other field, and
	 * any non-text content, is refused rather than dropped. Fields at their neutral value pass.
	 */
	private static final java.util.Set<String> HONOURED = java.util.Set.of("model", "messages", "stream",
			"stream_options", "max_tokens", "max_completion_tokens", "temperature", "user", "metadata", "store");

	@Override
	public @Nullable String unsupported(ChatRequest request) {
		var passThrough = request.passThrough();
		if (passThrough == null) {
			return null;
		}
		if (!passThrough.endpoint().equals(PassThrough.CHAT)) {
			// Only chat: no legacy completions, no embeddings.
			return "model";
		}
		for (var field : passThrough.body().properties()) {
			if (!HONOURED.contains(field.getKey()) && !neutral(field.getKey(), field.getValue())) {
				return field.getKey();
			}
		}
		var messages = passThrough.body().path("messages");
		for (int i = 0; i < messages.size(); i++) {
			var message = messages.get(i);
			var role = message.path("role").asText();
			if (!role.equals("system") && !role.equals("developer") && !role.equals("user") && !role.equals("assistant")) {
				return "messages[" + i + "].role";
			}
			if (message.has("tool_calls") && !message.get("tool_calls").isNull()) {
				return "messages[" + i + "].tool_calls";
			}
			var content = message.path("content");
			for (int j = 0; j < content.size(); j++) {
				if (!"text".equals(content.get(j).path("type").asText())) {
					return "messages[" + i + "].content[" + j + "]";
				}
			}
		}
		return null;
	}

	/** Whether a field's value asks for nothing beyond what the engine does anyway (what SDKs send by default). */
	private static boolean neutral(String field, com.fasterxml.jackson.databind.JsonNode value) {
		if (value.isNull()) {
			return true;
		}
		return switch (field) {
			case "n" -> value.asInt(0) == 1;
			case "top_p" -> value.isNumber() && value.asDouble() == 1.0;
			case "presence_penalty", "frequency_penalty" -> value.isNumber() && value.asDouble() == 0.0;
			case "logprobs", "parallel_tool_calls" -> value.isBoolean() && !value.asBoolean();
			case "logit_bias", "tools", "functions" -> value.isEmpty() && (value.isObject() || value.isArray());
			case "tool_choice", "function_call" -> "none".equals(value.asText()) || "auto".equals(value.asText());
			case "response_format" -> "text".equals(value.path("type").asText());
			case "modalities" -> value.isArray() && value.size() == 1 && "text".equals(value.get(0).asText());
			default -> false;
		};
	}

	@Override
	protected void generate(ChatRequest request, String upstreamModel, Generation generation) {
		var engine = load();
		int maxTokens = request.maxTokens() != null ? request.maxTokens() : defaultMaxTokens;
		float temperature = request.temperature() != null ? request.temperature().floatValue() : 0.3f;
		var prompt = prompt(engine, request);
		// jlama's limit is on the whole sequence, prompt included, within the model's context.
		int promptTokens = engine.getTokenizer().encode(prompt.getPrompt()).length;
		int context = engine.getConfig().contextLength;
		if (promptTokens >= context) {
			throw new BackendRejectedException(NAME, 400, "The prompt has " + promptTokens
					+ " tokens; the embedded model's context holds " + context + ".");
		}
		Generator.Response response;
		try {
			response = engine.generate(UUID.randomUUID(), prompt, temperature, Math.min(context, promptTokens + maxTokens),
					(piece, time) -> {
						if (!generation.emit(piece)) {
							throw new CallerGone();
						}
					});
		}
		catch (CallerGone gone) {
			return;
		}
		generation.usage(response.promptTokens, response.generatedTokens);
		generation.finish(response.finishReason == Generator.FinishReason.MAX_TOKENS ? FinishReason.LENGTH
				: FinishReason.STOP);
	}

	private static PromptContext prompt(AbstractModel engine, ChatRequest request) {
		var support = engine.promptSupport();
		if (support.isPresent()) {
			var builder = support.get().builder();
			for (ChatMessage message : request.messages()) {
				switch (message.role()) {
					case SYSTEM -> builder.addSystemMessage(message.content());
					case USER -> builder.addUserMessage(message.content());
					case ASSISTANT -> builder.addAssistantMessage(message.content());
					// Refused before it gets here (see unsupported); kept so the switch is whole.
					case TOOL -> builder.addUserMessage(message.content());
				}
			}
			return builder.addGenerationPrompt(true).build();
		}
		var text = new StringBuilder();
		for (ChatMessage message : request.messages()) {
			text.append(message.role().id()).append(": ").append(message.content()).append('\n');
		}
		return PromptContext.of(text.append("assistant: ").toString());
	}

	private AbstractModel load() {
		var engine = loaded;
		if (engine != null) {
			return engine;
		}
		if (!vectorApi()) {
			throw new BackendUnavailableException(NAME, "The embedded engine needs the Vector API: start Java with "
					+ "--add-modules jdk.incubator.vector (./mvnw spring-boot:run and ./familiar do), "
					+ "or configure a model server with familiar.backends.NAME.url.", null);
		}
		synchronized (loading) {
			if (loaded == null) {
				var dir = download();
				progress = "loading";
				try {
					log.info("Loading embedded model {} from {}", model, dir);
					loaded = ModelSupport.loadModel(dir.toFile(), DType.F32, DType.I8);
				}
				catch (RuntimeException ex) {
					throw new BackendUnavailableException(NAME, "The embedded model in " + dir
							+ " could not be loaded (" + ex.getMessage() + "). Replace its files or delete the folder "
							+ "to download it again.", ex);
				}
				finally {
					progress = null;
				}
			}
			return loaded;
		}
	}

	private Path download() {
		var dir = modelDir();
		if (SafeTensorSupport.isModelLocal(dir)) {
			return dir;
		}
		log.info("Downloading embedded model {}/{} into {}", owner, model, modelsDir);
		try {
			SafeTensorSupport.maybeDownloadModel(modelsDir.toString(), Optional.ofNullable(owner.isEmpty() ? null : owner),
					model, true, Optional.empty(), Optional.empty(), Optional.of(this::downloading));
			return dir;
		}
		catch (IOException | RuntimeException ex) {
			downloadFailed = java.time.Instant.now();
			throw new BackendUnavailableException(NAME, "The embedded model " + owner + "/" + model
					+ " is not downloaded and the download failed (" + describe(ex) + "). To fix: configure a model "
					+ "server with familiar.backends.NAME.url=http://host:port/v1 (Ollama, llama.cpp, vLLM or a hosted "
					+ "API), or place the model's files (config.json, tokenizer.json, *.safetensors) in " + dir + ".", ex);
		}
		finally {
			progress = null;
		}
	}

	private void downloading(String file, long done, long total) {
		var percent = total > 0 ? done * 100 / total : 0;
		var now = "downloading " + file + " " + percent + "%";
		if (!now.equals(progress)) {
			progress = now;
			if (percent % 10 == 0) {
				log.info("Embedded model: {}", now);
			}
		}
	}

	private static String describe(Throwable ex) {
		return ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
	}

	static boolean vectorApi() {
		return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
	}

	@Override
	public void close() {
		var engine = loaded;
		if (engine != null) {
			engine.close();
		}
	}

	/** Thrown from jlama's token callback to stop generating when the caller has gone. */
	private static final class CallerGone extends RuntimeException {

		CallerGone() {
			super(null, null, false, false);
		}
	}
}
