package org.familiar.compute.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.familiar.compute.BackendRejectedException;
import org.familiar.compute.BackendUnavailableException;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ComputeSettings;
import org.familiar.compute.FinishReason;
import org.familiar.compute.MediaReply;
import org.familiar.compute.PassThrough;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import org.familiar.compute.backend.ChatBackend;
import org.familiar.compute.backend.Generation;
import org.jspecify.annotations.Nullable;

/**
 * A backend that speaks the OpenAI API (vLLM, llama.cpp server, Ollama, hosted APIs). A client's
 * own request ({@link PassThrough}) goes to the backend's endpoint as it came but for the fields
 * Familiar owns; a plain request stays plain, a streamed one is relayed chunk by chunk with only
 * {@code id} and {@code model} spliced ({@link WireScan}). Familiar's own requests (web chat,
 * research, memory) are streamed, so a caller that goes away stops the upstream request at once.
 *
 * <p>It talks to the backend with OkHttp and Jackson directly rather than through the openai-java
 * SDK: on the gateway benchmark the SDK (Kotlin reflection building each chunk, and parsing each
 * chunk twice) cost more CPU per request than everything else on the request path together; see
 * {@code docs/operations.md}.
 */
public final class OpenAiBackend extends ChatBackend {

	private static final MediaType JSON_TYPE = MediaType.get("application/json");

	private static final ObjectMapper JSON = new ObjectMapper();

	private final OkHttpClient client;

	private final HttpUrl base;

	private final HttpUrl completions;

	private final HttpUrl models;

	private final String url;

	private final @Nullable String authorization;

	public OpenAiBackend(String name, ComputeSettings.Backend settings) {
		super(name);
		this.url = settings.url().toString();
		var base = HttpUrl.get(url.endsWith("/") ? url : url + "/");
		this.base = base;
		this.completions = base.resolve("chat/completions");
		this.models = base.resolve("models");
		this.authorization = settings.apiKey() == null || settings.apiKey().isBlank() ? null
				: "Bearer " + settings.apiKey();
		var dispatcher = new Dispatcher();
		dispatcher.setMaxRequestsPerHost(Math.max(5, settings.maxConcurrent()));
		this.client = new OkHttpClient.Builder()
			.dispatcher(dispatcher)
			// Keep a connection per slot alive, so a busy backend is not reconnected to per request.
			.connectionPool(new ConnectionPool(Math.max(5, settings.maxConcurrent()), 5, TimeUnit.MINUTES))
			.connectTimeout(Duration.ofSeconds(5))
			// A backend silent for this long is given up on. No whole-call timeout: a long reply that keeps
			// streaming is fine, and OkHttp's call timeout costs a watchdog round trip per request.
			.readTimeout(settings.timeout())
			.retryOnConnectionFailure(true)
			.build();
	}

	@Override
	protected void generate(ChatRequest request, String upstreamModel, Generation generation) {
		var passThrough = request.passThrough();
		boolean stream = passThrough == null || passThrough.stream();
		var endpoint = passThrough == null || passThrough.endpoint().equals(PassThrough.CHAT) ? completions
				: base.resolve(passThrough.endpoint());
		var http = new Request.Builder().url(endpoint)
			.post(RequestBody.create(body(request, upstreamModel), JSON_TYPE));
		if (stream) {
			http.header("Accept", "text/event-stream");
		}
		if (authorization != null) {
			http.header("Authorization", authorization);
		}
		var call = client.newCall(http.build());
		generation.onCancel(call::cancel);
		try (Response response = call.execute()) {
			if (!response.isSuccessful()) {
				throw refused(response, generation);
			}
			if (!stream) {
				whole(request, response.body().bytes(), generation);
				return;
			}
			var source = response.body().source();
			boolean usageAsked = passThrough == null || passThrough.usageAsked();
			long newline;
			while ((newline = source.indexOf((byte) '\n')) != -1 || !source.exhausted()) {
				var line = newline == -1 ? source.readByteArray() : source.readByteArray(newline);
				if (newline != -1) {
					source.skip(1);
				}
				var data = data(line);
				if (data == null) {
					continue;
				}
				if (data.length == 6 && new String(data, StandardCharsets.US_ASCII).equals("[DONE]")) {
					return;
				}
				if (!chunk(request, data, usageAsked, generation)) {
					// Closes the connection rather than draining the rest, so the backend stops generating.
					call.cancel();
					return;
				}
			}
		}
		catch (InterruptedIOException ex) {
			if (generation.cancelled()) {
				return;
			}
			throw generation.failed("Backend '" + name() + "' took longer than its timeout: " + ex.getMessage(), ex);
		}
		catch (IOException ex) {
			if (generation.cancelled()) {
				// The caller left and the call was cancelled for it: not a backend failure.
				return;
			}
			if (generation.started()) {
				throw generation.failed("Backend '" + name() + "' dropped the connection mid-reply: " + message(ex), ex);
			}
			throw new BackendUnavailableException(name(),
					"Backend '" + name() + "' at " + url + " cannot be reached: " + message(ex), ex);
		}
	}

	/** The payload of an SSE {@code data:} line (CR and one leading space trimmed), or {@code null} for any other line. */
	private static byte @Nullable [] data(byte[] line) {
		int end = line.length;
		if (end > 0 && line[end - 1] == '\r') {
			end--;
		}
		if (end < 5 || line[0] != 'd' || line[1] != 'a' || line[2] != 't' || line[3] != 'a' || line[4] != ':') {
			return null;
		}
		int start = 5;
		while (start < end && line[start] == ' ') {
			start++;
		}
		return start == end ? null : java.util.Arrays.copyOfRange(line, start, end);
	}

	/** Handles one streamed chunk; {@code false} when generation must stop (the caller left). */
	private boolean chunk(ChatRequest request, byte[] data, boolean usageAsked, Generation generation)
			throws IOException {
		var scan = WireScan.of(data);
		if (scan.error != null) {
			throw generation.failed("Backend '" + name() + "' sent an error mid-reply: " + scan.error, null);
		}
		if (scan.reportedUsage()) {
			generation.usage(scan.promptTokens, Math.max(0, scan.completionTokens));
		}
		if (scan.finishReason != null) {
			generation.finish(FinishReason.ofWire(scan.finishReason));
		}
		if (!scan.hasChoices && scan.hasUsage && !usageAsked) {
			// Asked of the backend for metering; the client did not ask for it.
			return !generation.cancelled();
		}
		return generation.relay(scan.rewrite(request.requestId(), request.model()), scan.text.toString());
	}

	/** A plain reply: metered from one scan, relayed as it came but for {@code id} and {@code model}. */
	private void whole(ChatRequest request, byte[] body, Generation generation) throws IOException {
		WireScan scan;
		try {
			scan = WireScan.of(body);
		}
		catch (IOException notJson) {
			throw generation.failed("Backend '" + name() + "' answered with something that is not JSON: "
					+ new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8), notJson);
		}
		if (scan.error != null) {
			throw generation.failed("Backend '" + name() + "' answered with an error: " + scan.error, null);
		}
		if (scan.reportedUsage()) {
			generation.usage(scan.promptTokens, Math.max(0, scan.completionTokens));
		}
		if (scan.finishReason != null) {
			generation.finish(FinishReason.ofWire(scan.finishReason));
		}
		generation.whole(scan.rewrite(request.requestId(), request.model()), scan.text.toString());
	}

	private RuntimeException refused(Response response, Generation generation) throws IOException {
		int status = response.code();
		var detail = "Backend '" + name() + "' answered " + status + ": " + errorMessage(response);
		if (status == 401 || status == 403) {
			return new BackendUnavailableException(name(), detail + " (check familiar.backends." + name() + ".api-key)",
					null);
		}
		if (status == 429 || status == 503) {
			return new BackendUnavailableException(name(), detail, null);
		}
		if (status >= 400 && status < 500) {
			return new BackendRejectedException(name(), status, detail, errorParam(response));
		}
		return generation.failed(detail, null);
	}

	private static String errorMessage(Response response) throws IOException {
		var text = response.peekBody(64 * 1024).string();
		try {
			var message = JSON.readTree(text).path("error").path("message");
			if (message.isTextual()) {
				return message.textValue();
			}
		}
		catch (IOException notJson) {
			// fall through to the raw text
		}
		return text.isBlank() ? response.message() : text.strip();
	}

	/** The field a backend's OpenAI-shaped error names ({@code error.param}), if any. */
	private static @Nullable String errorParam(Response response) throws IOException {
		try {
			var param = JSON.readTree(response.peekBody(64 * 1024).string()).path("error").path("param");
			return param.isTextual() ? param.textValue() : null;
		}
		catch (IOException notJson) {
			return null;
		}
	}

	/** The fields Familiar owns in a pass-through body; everything else is copied as it came. */
	private static final java.util.Set<String> OWNED = java.util.Set.of("model", "max_tokens", "max_completion_tokens",
			"stream", "stream_options", "user");

	private static byte[] body(ChatRequest request, String upstreamModel) {
		var passThrough = request.passThrough();
		if (passThrough != null) {
			return passThrough(request, passThrough, upstreamModel);
		}
		var bytes = new ByteArrayOutputStream(256);
		try (JsonGenerator json = JSON.getFactory().createGenerator(bytes)) {
			json.writeStartObject();
			json.writeStringField("model", upstreamModel);
			json.writeBooleanField("stream", true);
			json.writeObjectFieldStart("stream_options");
			json.writeBooleanField("include_usage", true);
			json.writeEndObject();
			json.writeArrayFieldStart("messages");
			for (ChatMessage message : request.messages()) {
				json.writeStartObject();
				json.writeStringField("role", message.role().id());
				json.writeStringField("content", message.content());
				json.writeEndObject();
			}
			json.writeEndArray();
			if (request.maxTokens() != null) {
				json.writeNumberField("max_tokens", request.maxTokens());
			}
			if (request.temperature() != null) {
				json.writeNumberField("temperature", request.temperature());
			}
			if (request.topP() != null) {
				json.writeNumberField("top_p", request.topP());
			}
			if (!request.stop().isEmpty()) {
				json.writeArrayFieldStart("stop");
				for (var stop : request.stop()) {
					json.writeString(stop);
				}
				json.writeEndArray();
			}
			json.writeEndObject();
		}
		catch (IOException ex) {
			throw new IllegalStateException("Writing JSON to memory failed", ex);
		}
		return bytes.toByteArray();
	}

	private static byte[] passThrough(ChatRequest request, PassThrough passThrough, String upstreamModel) {
		var client = passThrough.body();
		var out = JSON.createObjectNode();
		out.put("model", upstreamModel);
		client.properties().forEach(field -> {
			if (!OWNED.contains(field.getKey())) {
				out.set(field.getKey(), field.getValue());
			}
		});
		if (request.maxTokens() != null && !passThrough.endpoint().equals(PassThrough.EMBEDDINGS)) {
			out.put(passThrough.maxTokensField(), request.maxTokens());
		}
		if (passThrough.stream()) {
			out.put("stream", true);
			var options = client.path("stream_options") instanceof ObjectNode asked ? asked.deepCopy()
					: JSON.createObjectNode();
			out.set("stream_options", options.put("include_usage", true));
		}
		else if (client.has("stream")) {
			out.put("stream", false);
		}
		out.put("user", pseudonym(request.requester()));
		try {
			return JSON.writeValueAsBytes(out);
		}
		catch (IOException ex) {
			throw new IllegalStateException("Writing JSON to memory failed", ex);
		}
	}

	/**
	 * One plain request to the backend's API (the media endpoints), relative to its base URL,
	 * with its key; a JSON body is sent with {@code user} set to the requester's pseudonym.
	 * @param json the body to POST, or {@code null} to GET
	 * @throws BackendUnavailableException if it cannot be reached or did not answer in its timeout
	 */
	public MediaReply exchange(String path, com.fasterxml.jackson.databind.node.@Nullable ObjectNode json, String requester) {
		var http = new Request.Builder().url(base.resolve(path));
		if (json != null) {
			var body = json.deepCopy().put("user", pseudonym(requester));
			try {
				http.post(RequestBody.create(JSON.writeValueAsBytes(body), JSON_TYPE));
			}
			catch (IOException ex) {
				throw new IllegalStateException("Writing JSON to memory failed", ex);
			}
		}
		return send(http);
	}

	/** One multipart POST to the backend's API (image edits), with {@code user} set to the requester's pseudonym. */
	public MediaReply exchangeForm(String path, java.util.Map<String, String> fields,
			java.util.List<org.familiar.compute.MediaBackend.Part> files, String requester) {
		var form = new okhttp3.MultipartBody.Builder().setType(okhttp3.MultipartBody.FORM);
		fields.forEach(form::addFormDataPart);
		form.addFormDataPart("user", pseudonym(requester));
		for (var file : files) {
			form.addFormDataPart(file.name(), file.filename(), RequestBody.create(file.bytes(), MediaType.get(file.contentType())));
		}
		return send(new Request.Builder().url(base.resolve(path)).post(form.build()));
	}

	private MediaReply send(Request.Builder http) {
		if (authorization != null) {
			http.header("Authorization", authorization);
		}
		try (Response response = client.newCall(http.build()).execute()) {
			var type = response.header("Content-Type");
			return new MediaReply(response.code(), type == null ? "application/octet-stream" : type, response.body().bytes());
		}
		catch (IOException ex) {
			throw new BackendUnavailableException(name(),
					"Backend '" + name() + "' at " + url + " cannot be reached: " + message(ex), ex);
		}
	}

	/**
	 * What the backend learns of who asks: the same opaque id for the same person on every request
	 * (for the backend's abuse tracking), never their account id.
	 */
	private static String pseudonym(String requester) {
		return "familiar-" + java.util.UUID.nameUUIDFromBytes(requester.getBytes(StandardCharsets.UTF_8));
	}

	@Override
	public List<String> probe() {
		var http = new Request.Builder().url(models).get();
		if (authorization != null) {
			http.header("Authorization", authorization);
		}
		var call = client.newBuilder().readTimeout(Duration.ofSeconds(5)).build().newCall(http.build());
		try (Response response = call.execute()) {
			if (!response.isSuccessful()) {
				throw new BackendUnavailableException(name(), "Backend '" + name() + "' at " + url + " answered "
						+ response.code() + " to GET /models: " + errorMessage(response), null);
			}
			var ids = new ArrayList<String>();
			for (var model : JSON.readTree(response.body().byteStream()).path("data")) {
				if (model.path("id").isTextual()) {
					ids.add(model.get("id").textValue());
				}
			}
			return ids;
		}
		catch (IOException ex) {
			throw new BackendUnavailableException(name(),
					"Backend '" + name() + "' at " + url + " does not answer: " + message(ex), ex);
		}
	}

	private static String message(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
	}

	@Override
	public void close() {
		client.dispatcher().executorService().shutdown();
		client.connectionPool().evictAll();
	}
}
