package org.familiar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for an external OpenAI-compatible model server (the one fake the project allows),
 * used by tests and by {@code bench/}. It replies {@code "Hello! You said: <last user message>"}
 * word by word (a character at a time in Chinese, Japanese and the like, and it counts their tokens
 * so too), and misbehaves on cue: a last message containing {@code [fail-mid]} gets three
 * tokens and then a dropped connection, {@code [fail-500]} a 500, {@code [slow]} 200 ms per token.
 *
 * <p>Run alone: {@code java -cp target/test-classes:... org.familiar.testing.FakeModelServer PORT [DELAY_MS]}.
 */
public final class FakeModelServer implements AutoCloseable {

	public static final String MODEL = "fake-model";

	private static final ObjectMapper JSON = new ObjectMapper();

	private final HttpServer server;

	private final long tokenDelayMillis;

	private final List<String> models;

	/** What a {@link #script} returns to make the request fail with a 500. */
	public static final String FAIL = "[fail-500]";

	/** Requests for chat completions received. */
	public final AtomicInteger completions = new AtomicInteger();

	/** Streams whose client went away before the reply ended. */
	public final AtomicInteger cancelled = new AtomicInteger();

	/** Streams that ended normally. */
	public final AtomicInteger finished = new AtomicInteger();

	/** Scripted replies: given a request, the reply's text, or {@code null} for the usual echo. */
	public volatile java.util.function.Function<JsonNode, String> script = request -> null;

	/** The latest chat requests received, oldest first (at most 100). */
	public final java.util.concurrent.ConcurrentLinkedDeque<JsonNode> requests = new java.util.concurrent.ConcurrentLinkedDeque<>();

	/**
	 * The system prompt of the latest chat request whose last message contains {@code text}, or ""
	 * if it had none. Memory extraction requests (which quote the exchange) are not chat requests.
	 */
	public String systemPromptFor(String text) {
		var latest = new ArrayList<>(requests);
		for (int i = latest.size() - 1; i >= 0; i--) {
			var messages = latest.get(i).path("messages");
			if (messages.isEmpty() || !messages.get(messages.size() - 1).path("content").asText().contains(text)) {
				continue;
			}
			var first = messages.get(0);
			var system = "system".equals(first.path("role").asText()) ? first.path("content").asText() : "";
			if (!system.startsWith("You update the memory Familiar keeps")) {
				return system;
			}
		}
		return "";
	}

	public FakeModelServer(int port, long tokenDelayMillis, String... models) throws IOException {
		this.tokenDelayMillis = tokenDelayMillis;
		this.models = models.length == 0 ? List.of(MODEL) : List.of(models);
		// Without TCP_NODELAY every streamed token after the first waits ~40 ms for a delayed ACK.
		System.setProperty("sun.net.httpserver.nodelay", "true");
		server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
		server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
		server.createContext("/v1/models", this::models);
		server.createContext("/v1/chat/completions", this::tracked);
		server.createContext("/v1/embeddings", this::embed);
		server.createContext("/v1/completions", this::legacy);
		server.start();
	}

	/**
	 * Starts a fake server and configures it as Familiar's backend {@code name}; call it from a
	 * {@code @DynamicPropertySource} method.
	 */
	public static FakeModelServer serve(org.springframework.test.context.DynamicPropertyRegistry registry, String name,
			long tokenDelayMillis) throws IOException {
		var server = new FakeModelServer(0, tokenDelayMillis);
		registry.add("familiar.backends." + name + ".url", server::baseUrl);
		return server;
	}

	public int port() {
		return server.getAddress().getPort();
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + port() + "/v1";
	}

	private void models(HttpExchange exchange) throws IOException {
		var data = JSON.createArrayNode();
		models.forEach(id -> data.addObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", "fake"));
		var body = JSON.createObjectNode().put("object", "list");
		body.set("data", data);
		respond(exchange, 200, JSON.writeValueAsBytes(body));
	}

	/** Chat requests being answered right now, and the most there ever were at once. */
	public final AtomicInteger inFlight = new AtomicInteger();

	public final AtomicInteger mostInFlight = new AtomicInteger();

	/** A chat request answered: its body, and when it came and was done ({@link System#nanoTime()}). */
	public record Answered(String body, long began, long ended) {
	}

	/** Every chat request answered, in the order they ended (the latest 100,000). */
	public final java.util.concurrent.ConcurrentLinkedDeque<Answered> answered = new java.util.concurrent.ConcurrentLinkedDeque<>();

	/**
	 * Counts the request in flight from its arrival until just before its client can see the reply
	 * end, as a real server frees its slot when generation ends: before the last byte of a reply of
	 * known length is written, or before a streamed reply's closing chunk. Counting until the
	 * handler returns would see a slot Familiar already handed to the next request as still held.
	 */
	private void tracked(HttpExchange exchange) throws IOException {
		long began = System.nanoTime();
		mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
		var done = new java.util.concurrent.atomic.AtomicBoolean();
		Runnable end = () -> {
			if (done.compareAndSet(false, true)) {
				inFlight.decrementAndGet();
			}
		};
		try {
			var body = exchange.getRequestBody().readAllBytes();
			exchange.setStreams(new java.io.ByteArrayInputStream(body), new java.io.FilterOutputStream(exchange.getResponseBody()) {
				private long written;

				@Override
				public void write(byte[] bytes, int offset, int length) throws IOException {
					var declared = exchange.getResponseHeaders().getFirst("Content-length");
					if (declared != null && written + length >= Long.parseLong(declared)) {
						end.run();
					}
					written += length;
					out.write(bytes, offset, length);
				}

				@Override
				public void write(int b) throws IOException {
					write(new byte[] { (byte) b }, 0, 1);
				}

				@Override
				public void close() throws IOException {
					end.run();
					out.close();
				}
			});
			complete(exchange);
			answered.add(new Answered(new String(body, java.nio.charset.StandardCharsets.UTF_8), began, System.nanoTime()));
			while (answered.size() > 100_000) {
				answered.pollFirst();
			}
		}
		finally {
			end.run();
		}
	}

	private void complete(HttpExchange exchange) throws IOException {
		completions.incrementAndGet();
		JsonNode request = JSON.readTree(exchange.getRequestBody());
		requests.add(request);
		while (requests.size() > 100) {
			requests.pollFirst();
		}
		var messages = request.path("messages");
		var lastMessage = messages.isEmpty() ? JSON.createObjectNode() : messages.get(messages.size() - 1);
		var last = text(lastMessage.path("content"));
		var scripted = script.apply(request);
		if (last.contains(FAIL) || FAIL.equals(scripted)) {
			respond(exchange, 500, "{\"error\":{\"message\":\"the model crashed\",\"type\":\"server_error\"}}".getBytes());
			return;
		}
		var model = request.path("model").asText();
		var call = toolCall(request, lastMessage, last);
		var tokens = call != null ? List.<String>of() : tokens(scripted != null ? scripted : reply(request, lastMessage, last));
		int max = request.path(request.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens")
			.asInt(Integer.MAX_VALUE);
		var finish = call != null ? "tool_calls" : "stop";
		if (tokens.size() > max) {
			tokens = tokens.subList(0, max);
			finish = "length";
		}
		// Roughly what a real tokenizer and chat template give: four Latin characters a token, but one
		// a character for Chinese, Japanese and the like, and three per message.
		int promptTokens = 3 * messages.size();
		for (var message : messages) {
			promptTokens += promptTokens(text(message.path("content")));
		}
		boolean reasoning = request.has("reasoning_effort");
		boolean logprobs = request.path("logprobs").asBoolean();
		int completionTokens = tokens.size() + (call != null ? 3 : 0) + (reasoning ? REASONING.size() : 0);
		long delay = last.contains("[slow]") ? 200 : tokenDelayMillis;
		if (!request.path("stream").asBoolean()) {
			var body = JSON.createObjectNode().put("id", "fake-1").put("object", "chat.completion").put("created", 0).put("model", model);
			var choice = body.putArray("choices").addObject().put("index", 0).put("finish_reason", finish);
			var message = choice.putObject("message").put("role", "assistant");
			if (call != null) {
				message.putNull("content");
				message.putArray("tool_calls").addObject().put("id", call[0]).put("type", "function")
					.putObject("function").put("name", call[1]).put("arguments", call[2]);
			}
			else {
				message.put("content", String.join("", tokens));
			}
			if (reasoning) {
				message.put("reasoning_content", String.join("", REASONING));
			}
			if (logprobs) {
				var content = choice.putObject("logprobs").putArray("content");
				tokens.forEach(token -> logprob(content, token));
			}
			usage(body, promptTokens, completionTokens, reasoning ? REASONING.size() : 0);
			if (delay == 0) {
				respond(exchange, 200, JSON.writeValueAsBytes(body));
				return;
			}
			plainSlowly(exchange, JSON.writeValueAsBytes(body), tokens.size(), delay, last.contains("[fail-mid]"));
			return;
		}
		exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
		exchange.sendResponseHeaders(200, 0);
		OutputStream out = exchange.getResponseBody();
		try {
			var role = chunk(model);
			role.withArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta")
				.put("role", "assistant").put("content", "");
			event(out, role);
			if (reasoning) {
				for (var piece : REASONING) {
					var chunk = chunk(model);
					chunk.withArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta")
						.put("reasoning_content", piece);
					event(out, chunk);
				}
			}
			if (call != null) {
				// As OpenAI sends them: the call's id and name first, then its arguments in pieces.
				var head = chunk(model);
				head.withArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta")
					.putArray("tool_calls").addObject().put("index", 0).put("id", call[0]).put("type", "function")
					.putObject("function").put("name", call[1]).put("arguments", "");
				event(out, head);
				var arguments = call[2];
				for (int at = 0; at < arguments.length(); at += 8) {
					var piece = chunk(model);
					piece.withArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta")
						.putArray("tool_calls").addObject().put("index", 0).putObject("function")
						.put("arguments", arguments.substring(at, Math.min(arguments.length(), at + 8)));
					event(out, piece);
				}
			}
			for (int i = 0; i < tokens.size(); i++) {
				if (i == 3 && last.contains("[fail-mid]")) {
					throw new IllegalStateException("fake backend dies mid-stream");
				}
				if (delay > 0) {
					Thread.sleep(delay);
				}
				var chunk = chunk(model);
				var choice = chunk.withArray("choices").addObject().put("index", 0);
				choice.putNull("finish_reason").putObject("delta").put("content", tokens.get(i));
				if (logprobs) {
					logprob(choice.putObject("logprobs").putArray("content"), tokens.get(i));
				}
				event(out, chunk);
			}
			var end = chunk(model);
			end.withArray("choices").addObject().put("index", 0).put("finish_reason", finish).putObject("delta");
			event(out, end);
			if (request.path("stream_options").path("include_usage").asBoolean()) {
				var usage = chunk(model);
				usage.putArray("choices");
				usage(usage, promptTokens, completionTokens, reasoning ? REASONING.size() : 0);
				event(out, usage);
			}
			out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
			out.close();
			finished.incrementAndGet();
		}
		catch (IOException gone) {
			cancelled.incrementAndGet();
			exchange.close();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/** The legacy completions API: the echo of the prompt as {@code text_completion}, plain or streamed. */
	private void legacy(HttpExchange exchange) throws IOException {
		JsonNode request = JSON.readTree(exchange.getRequestBody());
		requests.add(request);
		var model = request.path("model").asText();
		var tokens = tokens("Hello! You said: " + request.path("prompt").asText());
		int max = request.path("max_tokens").asInt(16);
		var finish = tokens.size() > max ? "length" : "stop";
		tokens = tokens.subList(0, Math.min(max, tokens.size()));
		int prompt = promptTokens(request.path("prompt").asText());
		if (!request.path("stream").asBoolean()) {
			var body = JSON.createObjectNode().put("id", "cmpl-fake").put("object", "text_completion").put("created", 0).put("model", model);
			body.putArray("choices").addObject().put("index", 0).put("text", String.join("", tokens)).putNull("logprobs")
				.put("finish_reason", finish);
			usage(body, prompt, tokens.size(), 0);
			respond(exchange, 200, JSON.writeValueAsBytes(body));
			return;
		}
		exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
		exchange.sendResponseHeaders(200, 0);
		try (var out = exchange.getResponseBody()) {
			for (int i = 0; i < tokens.size(); i++) {
				var chunk = JSON.createObjectNode().put("id", "cmpl-fake").put("object", "text_completion").put("created", 0).put("model", model);
				chunk.putArray("choices").addObject().put("index", 0).put("text", tokens.get(i)).putNull("logprobs")
					.put("finish_reason", i == tokens.size() - 1 ? finish : null);
				event(out, chunk);
			}
			if (request.path("stream_options").path("include_usage").asBoolean()) {
				var usage = JSON.createObjectNode().put("id", "cmpl-fake").put("object", "text_completion").put("created", 0).put("model", model);
				usage.putArray("choices");
				usage(usage, prompt, tokens.size(), 0);
				event(out, usage);
			}
			out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
		}
	}

	/** Embeddings served by a model whose name says "embed": 8 numbers from each text's hash, a token a word. */
	private void embed(HttpExchange exchange) throws IOException {
		JsonNode request = JSON.readTree(exchange.getRequestBody());
		requests.add(request);
		var model = request.path("model").asText();
		if (!model.contains("embed")) {
			respond(exchange, 400, ("{\"error\":{\"message\":\"" + model + " is not an embedding model\",\"type\":\"invalid_request_error\",\"param\":\"model\"}}").getBytes());
			return;
		}
		var input = request.path("input");
		var texts = new ArrayList<String>();
		if (input.isTextual()) {
			texts.add(input.textValue());
		}
		else {
			input.forEach(text -> texts.add(text.toString()));
		}
		var body = JSON.createObjectNode().put("object", "list").put("model", model);
		var data = body.putArray("data");
		int tokens = 0;
		for (int i = 0; i < texts.size(); i++) {
			var vector = data.addObject().put("object", "embedding").put("index", i).putArray("embedding");
			var random = new java.util.Random(texts.get(i).hashCode());
			for (int d = 0; d < 8; d++) {
				vector.add(random.nextDouble() - 0.5);
			}
			tokens += texts.get(i).split("\\s+").length;
		}
		body.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
		respond(exchange, 200, JSON.writeValueAsBytes(body));
	}

	/** What a reasoning model thinks before it answers (sent when the request has {@code reasoning_effort}). */
	static final List<String> REASONING = List.of("Thinking", " it", " over.");

	/**
	 * A tool call, {id, name, arguments}, when the request offers tools and the person spoke last:
	 * the first tool, called with the person's words as its first parameter.
	 */
	private static String @org.jspecify.annotations.Nullable [] toolCall(JsonNode request, JsonNode lastMessage, String last)
			throws IOException {
		var tools = request.path("tools");
		if (tools.isEmpty() || !"user".equals(lastMessage.path("role").asText())
				|| "none".equals(request.path("tool_choice").asText())) {
			return null;
		}
		var function = tools.get(0).path("function");
		var parameters = function.path("parameters").path("properties").properties().iterator();
		var parameter = parameters.hasNext() ? parameters.next().getKey() : "input";
		var arguments = JSON.writeValueAsString(JSON.createObjectNode().put(parameter, last));
		return new String[] { "call_" + Integer.toHexString(last.hashCode()), function.path("name").asText(), arguments };
	}

	/** The echo, or what a tool said, or JSON in the requested schema's first field; images are counted. */
	private static String reply(JsonNode request, JsonNode lastMessage, String last) throws IOException {
		if (lastMessage.path("role").asText().equals("tool")) {
			return "The tool said: " + last;
		}
		var format = request.path("response_format");
		var type = format.path("type").asText();
		if (type.equals("json_schema") || type.equals("json_object")) {
			var fields = format.path("json_schema").path("schema").path("properties").properties().iterator();
			return JSON.writeValueAsString(JSON.createObjectNode().put(fields.hasNext() ? fields.next().getKey() : "echo", last));
		}
		int media = 0;
		for (var part : lastMessage.path("content")) {
			media += "text".equals(part.path("type").asText()) ? 0 : 1;
		}
		return "Hello! You said: " + last + (media > 0 ? " (and sent " + media + " attachment" + (media > 1 ? "s" : "") + ")" : "");
	}

	/** A message's text: a string, or its text parts joined. */
	private static String text(JsonNode content) {
		if (!content.isArray()) {
			return content.asText();
		}
		var text = new StringBuilder();
		for (var part : content) {
			text.append(part.path("text").asText());
		}
		return text.toString();
	}

	private static void logprob(com.fasterxml.jackson.databind.node.ArrayNode content, String token) {
		var entry = content.addObject().put("token", token).put("logprob", -0.25);
		var bytes = entry.putArray("bytes");
		for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
			bytes.add(b & 0xff);
		}
		entry.putArray("top_logprobs");
	}

	/**
	 * A plain reply that takes as long as its tokens do. Like a real server it stops generating
	 * when its client goes: it writes a space (JSON allows leading whitespace) after each token,
	 * so a closed connection shows at the next token.
	 */
	private void plainSlowly(HttpExchange exchange, byte[] body, int tokens, long delay, boolean failMid) throws IOException {
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		exchange.sendResponseHeaders(200, 0);
		var out = exchange.getResponseBody();
		try {
			for (int i = 0; i < tokens; i++) {
				if (i == 3 && failMid) {
					throw new IllegalStateException("fake backend dies mid-reply");
				}
				Thread.sleep(delay);
				out.write(' ');
				out.flush();
			}
			out.write(body);
			out.close();
			finished.incrementAndGet();
		}
		catch (IOException gone) {
			cancelled.incrementAndGet();
			exchange.close();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static ObjectNode chunk(String model) {
		return JSON.createObjectNode().put("id", "fake-1").put("object", "chat.completion.chunk").put("created", 0).put("model", model);
	}

	private static void usage(ObjectNode body, int prompt, int completion, int reasoning) {
		var usage = body.putObject("usage").put("prompt_tokens", prompt).put("completion_tokens", completion)
			.put("total_tokens", prompt + completion);
		usage.putObject("prompt_tokens_details").put("cached_tokens", 0);
		usage.putObject("completion_tokens_details").put("reasoning_tokens", reasoning);
	}

	private static void event(OutputStream out, JsonNode chunk) throws IOException {
		out.write(("data: " + JSON.writeValueAsString(chunk) + "\n\n").getBytes(StandardCharsets.UTF_8));
		out.flush();
	}

	/**
	 * Splits into word tokens, each keeping its leading space, and each character beyond Latin
	 * script its own token (as real tokenizers roughly do), so joining them restores the text.
	 */
	static List<String> tokens(String text) {
		var tokens = new ArrayList<String>();
		int start = 0;
		for (int i = 0; i < text.length(); i = text.offsetByCodePoints(i, 1)) {
			int c = text.codePointAt(i);
			boolean wide = c >= 0x2E80;
			if (i > start && (c == ' ' || wide || text.codePointBefore(i) >= 0x2E80)) {
				tokens.add(text.substring(start, i));
				start = i;
			}
		}
		if (start < text.length()) {
			tokens.add(text.substring(start));
		}
		return tokens;
	}

	/** A prompt's tokens: a quarter of its Latin characters, and one for each character beyond. */
	static int promptTokens(String text) {
		int latin = 0;
		int wide = 0;
		for (int i = 0; i < text.length(); i = text.offsetByCodePoints(i, 1)) {
			if (text.codePointAt(i) >= 0x2E80) {
				wide++;
			}
			else {
				latin++;
			}
		}
		return latin / 4 + wide;
	}

	private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
		exchange.getResponseHeaders().set("Content-Type", "application/json");
		exchange.sendResponseHeaders(status, body.length);
		try (var out = exchange.getResponseBody()) {
			out.write(body);
		}
	}

	@Override
	public void close() {
		server.stop(0);
	}

	public static void main(String[] args) throws Exception {
		int port = args.length > 0 ? Integer.parseInt(args[0]) : 8900;
		long delay = args.length > 1 ? Long.parseLong(args[1]) : 0;
		try (var server = new FakeModelServer(port, delay)) {
			System.out.println("fake model server on " + server.baseUrl());
			Thread.currentThread().join();
		}
	}
}
