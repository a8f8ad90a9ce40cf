package org.familiar.assistant.api;

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
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ChatResult;
import org.familiar.assistant.internal.ClientConnection;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.FinishReason;
import org.familiar.compute.ModelNotFoundException;
import org.familiar.compute.WireSink;
import org.familiar.compute.PassThrough;
import org.familiar.identity.Caller;
import org.familiar.identity.ScopeMissingException;
import org.familiar.identity.Scopes;
import org.familiar.plans.PlansManagement;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
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


	private final ChatAdmission admission;

	ChatCompletionsApi(ComputeManagement compute, PlansManagement plans, ObjectMapper json, ChatAdmission admission) {
		this.admission = admission;
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
	@Nullable ResponseEntity<?> complete(@RequestBody byte[] raw, HttpServletRequest httpRequest,
			HttpServletResponse response) throws IOException {
		var caller = ChatAdmission.caller();
		var body = ChatBody.of(ChatBody.parse(json, raw));
		var admitted = admission.admit(caller, body, org.familiar.compute.RequestIds.next("chatcmpl-"),
				!"off".equalsIgnoreCase(httpRequest.getHeader(MEMORY_SWITCH)));
		response.setHeader(MEMORIES_HEADER, String.join(",", admitted.recall().usedIds()));
		return complete(admitted.request(), sink -> admission.run(admitted, sink), httpRequest, response);
	}

	/**
	 * Answers plain or streamed, as the client asked.
	 * @param request for its id and model (the relayed reply has them already; a reply Familiar writes needs them)
	 * @param run runs it into the sink given, through the one pipeline
	 */
	private @Nullable ResponseEntity<?> complete(ChatRequest request,
			java.util.function.Function<org.familiar.compute.TokenSink, ChatResult> run, HttpServletRequest httpRequest,
			HttpServletResponse response) throws IOException {
		var body = java.util.Objects.requireNonNull(request.passThrough());
		if (!body.stream()) {
			var result = run.apply(new PlainCaller(httpRequest));
			if (result.finishReason() == FinishReason.CANCELLED) {
				return null;
			}
			if (result.wire() != null) {
				// The backend's own body, as it came but for id and model.
				return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(result.wire());
			}
			return ResponseEntity.ok(completion(request, result));
		}
		var stream = new SseStream(request, response, httpRequest);
		try {
			var result = run.apply(stream);
			stream.finish(result, body.usageAsked());
		}
		catch (BackendFailedException ex) {
			if (!stream.open) {
				throw ex;
			}
			stream.fail(ex);
		}
		return null;
	}

	/**
	 * The legacy completions API: a raw prompt, passed through to a backend that speaks OpenAI (no
	 * memory: there is no conversation to add it to). Without {@code max_tokens} the reply is 16
	 * tokens long, OpenAI's default, which Familiar sends explicitly so the plan's hold bounds it.
	 */
	@PostMapping(path = "/completions", consumes = MediaType.APPLICATION_JSON_VALUE)
	@Nullable ResponseEntity<?> legacy(@RequestBody byte[] raw, HttpServletRequest httpRequest,
			HttpServletResponse response) throws IOException {
		var caller = ChatAdmission.caller();
		var body = LegacyBody.of(ChatBody.parse(json, raw));
		var request = new ChatRequest(org.familiar.compute.RequestIds.next("cmpl-"), caller.person().toString(),
				caller.workload(), body.model(), List.of(org.familiar.compute.ChatMessage.user(body.prompt())),
				body.maxTokens(), null, null, List.of())
			.withPassThrough(body.passThrough());
		return complete(request, sink -> plans.run(caller, request, sink), httpRequest, response);
	}

	/** Any other path under /v1 answers in OpenAI's error format rather than as a web page. */
	@RequestMapping("/**")
	void unknown() {
		throw new UnknownPathException();
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
	private final class SseStream implements WireSink {

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

		/** Whether the backend's own chunks are relayed (else Familiar writes them from text). */
		private boolean relayed;

		@Override
		public void chunk(byte[] chunk) throws IOException {
			if (!open) {
				relayed = true;
				open();
			}
			write(DATA);
			write(chunk);
			write(END);
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
			if (relayed) {
				// The backend's finish and usage chunks went as they came.
				write(DONE);
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

		private void open() throws IOException {
			response.setStatus(200);
			response.setContentType("text/event-stream;charset=UTF-8");
			response.setHeader("Cache-Control", "no-cache");
			response.setHeader("X-Accel-Buffering", "no");
			out = response.getOutputStream();
			open = true;
		}

		private void start() throws IOException {
			open();
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
