package org.familiar.compute.openai;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.SseException;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.models.Model;
import java.time.Duration;
import java.util.List;
import org.familiar.compute.BackendRejectedException;
import org.familiar.compute.BackendUnavailableException;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ComputeSettings;
import org.familiar.compute.FinishReason;
import org.familiar.compute.backend.ChatBackend;
import org.familiar.compute.backend.Generation;

/**
 * A backend that speaks the OpenAI API (vLLM, llama.cpp server, Ollama, hosted APIs), called with
 * the official openai-java client. Replies are always streamed from the backend, so a caller that
 * goes away stops the upstream request at once.
 */
public final class OpenAiBackend extends ChatBackend {

	private final OpenAIClient client;

	private final String url;

	public OpenAiBackend(String name, ComputeSettings.Backend settings) {
		super(name);
		this.url = settings.url().toString();
		this.client = OpenAIOkHttpClient.builder()
			.baseUrl(url)
			.apiKey(settings.apiKey() == null || settings.apiKey().isBlank() ? "none" : settings.apiKey())
			.maxRetries(0)
			.timeout(settings.timeout())
			.build();
	}

	@Override
	protected void generate(ChatRequest request, String upstreamModel, Generation generation) {
		try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params(request, upstreamModel))) {
			var chunks = stream.stream().iterator();
			while (chunks.hasNext()) {
				var chunk = chunks.next();
				chunk.usage().ifPresent(u -> generation.usage((int) u.promptTokens(), (int) u.completionTokens()));
				for (var choice : chunk.choices()) {
					if (!generation.emit(choice.delta().content().orElse(""))) {
						return;
					}
					choice.finishReason().ifPresent(reason -> generation
						.finish("length".equals(reason.asString()) ? FinishReason.LENGTH : FinishReason.STOP));
				}
			}
		}
		catch (SseException ex) {
			throw generation.failed("Backend '" + name() + "' sent an error mid-reply: " + ex.getMessage(), ex);
		}
		catch (OpenAIServiceException ex) {
			throw translate(ex, generation);
		}
		catch (OpenAIIoException ex) {
			if (generation.started()) {
				throw generation.failed("Backend '" + name() + "' dropped the connection mid-reply: " + rootMessage(ex), ex);
			}
			throw new BackendUnavailableException(name(),
					"Backend '" + name() + "' at " + url + " cannot be reached: " + rootMessage(ex), ex);
		}
	}

	private RuntimeException translate(OpenAIServiceException ex, Generation generation) {
		int status = ex.statusCode();
		var detail = "Backend '" + name() + "' answered " + status + ": " + ex.getMessage();
		if (status == 401 || status == 403) {
			return new BackendUnavailableException(name(), detail + " (check familiar.backends." + name() + ".api-key)", ex);
		}
		if (status == 429 || status == 503) {
			return new BackendUnavailableException(name(), detail, ex);
		}
		if (status >= 400 && status < 500) {
			return new BackendRejectedException(name(), status, detail);
		}
		return generation.failed(detail, ex);
	}

	private static ChatCompletionCreateParams params(ChatRequest request, String upstreamModel) {
		var params = ChatCompletionCreateParams.builder()
			.model(upstreamModel)
			.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build());
		for (ChatMessage message : request.messages()) {
			switch (message.role()) {
				case SYSTEM -> params.addSystemMessage(message.content());
				case USER -> params.addUserMessage(message.content());
				case ASSISTANT -> params.addAssistantMessage(message.content());
			}
		}
		if (request.maxTokens() != null) {
			params.maxTokens(request.maxTokens().longValue());
		}
		if (request.temperature() != null) {
			params.temperature(request.temperature());
		}
		if (request.topP() != null) {
			params.topP(request.topP());
		}
		if (!request.stop().isEmpty()) {
			params.stop(ChatCompletionCreateParams.Stop.ofStrings(request.stop()));
		}
		return params.build();
	}

	@Override
	public List<String> probe() {
		try {
			return client.withOptions(o -> o.timeout(Duration.ofSeconds(5)))
				.models()
				.list()
				.data()
				.stream()
				.map(Model::id)
				.toList();
		}
		catch (RuntimeException ex) {
			throw new BackendUnavailableException(name(),
					"Backend '" + name() + "' at " + url + " does not answer: " + rootMessage(ex), ex);
		}
	}

	private static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
	}

	@Override
	public void close() {
		client.close();
	}
}
