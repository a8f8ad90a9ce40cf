package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.familiar.assistant.api.ChatCompletionResponses.Chunk;
import org.familiar.assistant.api.ChatCompletionResponses.ChunkChoice;
import org.familiar.assistant.api.ChatCompletionResponses.Delta;
import org.familiar.compute.BackendFailedException;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ChatResult;
import org.familiar.assistant.internal.ClientConnection;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.FinishReason;
import org.familiar.compute.ModelNotFoundException;
import org.familiar.compute.TokenSink;
import org.familiar.identity.Caller;
import org.familiar.identity.ScopeMissingException;
import org.familiar.identity.Scopes;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.Recall;
import org.familiar.plans.PlansManagement;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The OpenAI-compatible API: {@code GET /v1/models} and {@code POST /v1/chat/completions}, plain
 * or streamed as server-sent events. A streamed reply is written on the request's own (virtual)
 * thread as the backend produces it; if the client goes away, the next write fails and the backend
 * request is closed.
 */
@RestController
@RequestMapping("/v1")
class ChatCompletionsApi {

	private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

	private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

	private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

	private final ComputeManagement compute;

	private final PlansManagement plans;

	/** Response header: the ids of the memories that went into the prompt, comma-separated. */
	static final String MEMORIES_HEADER = "X-Familiar-Memories";

	/** Request header: {@code off} leaves memory and personality out of this request. */
	static final String MEMORY_SWITCH = "X-Familiar-Memory";

	private final ObjectMapper json;

	private final MemoryManagement memory;

	ChatCompletionsApi(ComputeManagement compute, PlansManagement plans, MemoryManagement memory, ObjectMapper json) {
		this.memory = memory;
		this.compute = compute;
		this.plans = plans;
		this.json = json;
	}

	@GetMapping("/models")
	ChatCompletionResponses.ModelList models() {
		Caller.of(SecurityContextHolder.getContext().getAuthentication())
			.ifPresent(caller -> ScopeMissingException.require(caller, Scopes.ASSISTANT));
		var seen = new java.util.LinkedHashSet<String>();
		var data = new ArrayList<ChatCompletionResponses.Model>();
		for (var model : compute.models()) {
			if (seen.add(model.id())) {
				data.add(wire(model));
			}
		}
		return new ChatCompletionResponses.ModelList("list", data);
	}

	private static ChatCompletionResponses.Model wire(org.familiar.compute.ModelInfo model) {
		return new ChatCompletionResponses.Model(model.id(), "model", 0, model.backend());
	}

	/** One model, as the SDKs' {@code models.retrieve} asks for it; 404 {@code model_not_found} if no backend serves it. */
	@GetMapping("/models/{id}")
	ChatCompletionResponses.Model model(@PathVariable String id) {
		Caller.of(SecurityContextHolder.getContext().getAuthentication())
			.ifPresent(caller -> ScopeMissingException.require(caller, Scopes.ASSISTANT));
		return compute.models()
			.stream()
			.filter(model -> model.id().equals(id))
			.findFirst()
			.map(ChatCompletionsApi::wire)
			.orElseThrow(() -> new ModelNotFoundException(id));
	}

	@PostMapping(path = "/chat/completions", consumes = MediaType.APPLICATION_JSON_VALUE)
	@Nullable ResponseEntity<ChatCompletionResponses.Completion> complete(@RequestBody ChatCompletionRequest body,
			HttpServletRequest httpRequest, HttpServletResponse response) throws IOException {
		// From the security context itself: /v1 skips the servlet-API wrapper that getUserPrincipal() needs.
		var caller = Caller.of(SecurityContextHolder.getContext().getAuthentication())
			.orElseThrow(() -> new InsufficientAuthenticationException("No caller for this request"));
		ScopeMissingException.require(caller, Scopes.ASSISTANT);
		var parsed = toRequest(body, caller);
		// An unknown model is a 404 before anything is reserved.
		compute.requireModel(parsed.model());
		// Memory first, so the reservation covers the tokens it adds to the prompt.
		var recall = "off".equalsIgnoreCase(httpRequest.getHeader(MEMORY_SWITCH)) ? Recall.NONE
				: memory.recall(caller, parsed.messages());
		var request = plans.admit(caller, withSystem(parsed, recall));
		response.setHeader(MEMORIES_HEADER, String.join(",", recall.usedIds()));
		try {
			return complete(body, request, httpRequest, response);
		}
		finally {
			memory.used(caller, recall);
		}
	}

	private @Nullable ResponseEntity<ChatCompletionResponses.Completion> complete(ChatCompletionRequest body,
			ChatRequest request, HttpServletRequest httpRequest, HttpServletResponse response) throws IOException {
		// An unknown model fails inside chat() before anything is written, so it still gets a 404.
		if (!body.streaming()) {
			var result = compute.chat(request, new TokenSink() {
				@Override
				public void accept(String text) {
				}

				@Override
				public boolean callerGone() {
					return ClientConnection.closed(httpRequest);
				}

				@Override
				public boolean silentUntilDone() {
					return true;
				}
			});
			if (result.finishReason() == FinishReason.CANCELLED) {
				return null;
			}
			return ResponseEntity.ok(completion(request, result));
		}
		var stream = new SseStream(request, response, httpRequest);
		try {
			var result = compute.chat(request, stream);
			stream.finish(result, body.includeUsage());
		}
		catch (BackendFailedException ex) {
			if (!stream.open) {
				throw ex;
			}
			stream.fail(ex);
		}
		return null;
	}

	/** Any other path under /v1 answers in OpenAI's error format rather than as a web page. */
	@RequestMapping("/**")
	void unknown() {
		throw new UnknownPathException();
	}

	private ChatRequest toRequest(ChatCompletionRequest body, Caller caller) {
		if (body.model() == null || body.model().isBlank()) {
			throw new InvalidRequestException("You must provide a model parameter.", "model");
		}
		if (body.messages() == null || body.messages().isEmpty()) {
			throw new InvalidRequestException("'messages' is a required property and must not be empty.", "messages");
		}
		if (body.n() != null && body.n() != 1) {
			throw new InvalidRequestException("Only n=1 is supported.", "n");
		}
		var messages = new ArrayList<ChatMessage>(body.messages().size());
		for (int i = 0; i < body.messages().size(); i++) {
			messages.add(toMessage(body.messages().get(i), i));
		}
		var maxTokens = body.maxCompletionTokens() != null ? body.maxCompletionTokens() : body.maxTokens();
		if (maxTokens != null && maxTokens < 1) {
			throw new InvalidRequestException("max_tokens must be at least 1.", "max_tokens");
		}
		return new ChatRequest("chatcmpl-" + UUID.randomUUID().toString().replace("-", ""), caller.person().toString(),
				caller.workload(), body.model(), messages, maxTokens, body.temperature(), body.topP(), stop(body.stop()));
	}

	private static ChatRequest withSystem(ChatRequest request, Recall recall) {
		return recall.system() == null ? request : request.withMessages(recall.prependTo(request.messages()));
	}

	private static ChatMessage toMessage(ChatCompletionRequest.@Nullable Message message, int index) {
		var param = "messages[" + index + "]";
		if (message == null) {
			throw new InvalidRequestException("Invalid type for '" + param + "': expected an object, but got null.", param);
		}
		var role = switch (message.role() == null ? "" : message.role()) {
			case "system", "developer" -> ChatMessage.Role.SYSTEM;
			case "user" -> ChatMessage.Role.USER;
			case "assistant" -> ChatMessage.Role.ASSISTANT;
			default -> throw new InvalidRequestException(
					"Invalid value for 'role': " + message.role() + ". Supported: system, developer, user, assistant.",
					param + ".role");
		};
		return new ChatMessage(role, text(message.content(), param + ".content"));
	}

	private static String text(@Nullable JsonNode content, String param) {
		if (content == null || content.isNull()) {
			return "";
		}
		if (content.isTextual()) {
			return content.textValue();
		}
		if (content.isArray()) {
			var text = new StringBuilder();
			for (var part : content) {
				if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
					throw new InvalidRequestException("Only text content parts are supported.", param);
				}
				text.append(part.get("text").textValue());
			}
			return text.toString();
		}
		throw new InvalidRequestException("'content' must be a string or an array of text parts.", param);
	}

	private static List<String> stop(@Nullable JsonNode stop) {
		if (stop == null || stop.isNull()) {
			return List.of();
		}
		if (stop.isTextual()) {
			return List.of(stop.textValue());
		}
		if (stop.isArray()) {
			var stops = new ArrayList<String>();
			for (var element : stop) {
				if (!element.isTextual()) {
					throw new InvalidRequestException("'stop' must be a string or an array of strings.", "stop");
				}
				stops.add(element.textValue());
			}
			return stops;
		}
		throw new InvalidRequestException("'stop' must be a string or an array of strings.", "stop");
	}

	private static ChatCompletionResponses.Completion completion(ChatRequest request, ChatResult result) {
		var usage = result.usage();
		return new ChatCompletionResponses.Completion(request.requestId(), "chat.completion", created(),
				request.model(),
				List.of(new ChatCompletionResponses.Choice(0,
						new ChatCompletionResponses.Message("assistant", result.text(), null),
						result.finishReason().wire(), null)),
				new ChatCompletionResponses.Usage(usage.promptTokens(), usage.completionTokens(), usage.totalTokens()));
	}

	private static long created() {
		return System.currentTimeMillis() / 1000;
	}

	/** Server-sent events in OpenAI's chunk format; the response is committed at the first token. */
	private final class SseStream implements TokenSink {

		private final ChatRequest request;

		private final HttpServletResponse response;

		private final HttpServletRequest httpRequest;

		private final long created = created();

		private @Nullable OutputStream out;

		boolean open;

		SseStream(ChatRequest request, HttpServletResponse response, HttpServletRequest httpRequest) {
			this.request = request;
			this.response = response;
			this.httpRequest = httpRequest;
		}

		@Override
		public boolean callerGone() {
			return ClientConnection.closed(httpRequest);
		}

		@Override
		public void accept(String text) throws IOException {
			if (!open) {
				start();
			}
			send(new Chunk(request.requestId(), "chat.completion.chunk", created, request.model(),
					List.of(new ChunkChoice(0, new Delta(null, text), null, null)), null));
		}

		void finish(ChatResult result, boolean includeUsage) throws IOException {
			if (result.finishReason() == FinishReason.CANCELLED) {
				return;
			}
			if (!open) {
				start();
			}
			send(new Chunk(request.requestId(), "chat.completion.chunk", created, request.model(),
					List.of(new ChunkChoice(0, new Delta(null, null), result.finishReason().wire(), null)), null));
			if (includeUsage) {
				var usage = result.usage();
				send(new Chunk(request.requestId(), "chat.completion.chunk", created, request.model(), List.of(),
						new ChatCompletionResponses.Usage(usage.promptTokens(), usage.completionTokens(),
								usage.totalTokens())));
			}
			write(DONE);
		}

		void fail(BackendFailedException ex) {
			try {
				write(DATA);
				write(json.writeValueAsBytes(OpenAiErrors.body(ex)));
				write(END);
			}
			catch (IOException gone) {
				// The client has gone as well; the failure is already recorded by compute.
			}
		}

		private void start() throws IOException {
			response.setStatus(200);
			response.setContentType("text/event-stream;charset=UTF-8");
			response.setHeader("Cache-Control", "no-cache");
			response.setHeader("X-Accel-Buffering", "no");
			out = response.getOutputStream();
			open = true;
			send(new Chunk(request.requestId(), "chat.completion.chunk", created, request.model(),
					List.of(new ChunkChoice(0, new Delta("assistant", ""), null, null)), null));
		}

		private void send(Chunk chunk) throws IOException {
			write(DATA);
			write(json.writeValueAsBytes(chunk));
			write(END);
		}

		private void write(byte[] bytes) throws IOException {
			var stream = out;
			if (stream != null) {
				stream.write(bytes);
				if (bytes == END || bytes == DONE) {
					stream.flush();
				}
			}
		}
	}
}
