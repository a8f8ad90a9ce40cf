package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.ContentCachingResponseWrapper;

/**
 * In front of the MCP SDK's servlet: a posted message must be one JSON-RPC 2.0 object (the SDK
 * answered {@code null} with a 500 and its stack trace); anything else gets 400 with a JSON-RPC
 * "Invalid Request" naming what is wrong. And whatever the SDK answers with a 5xx reaches the
 * client without internals (the SDK serialises the exception, stack trace and all).
 */
final class McpRequests extends OncePerRequestFilter {

	private static final Logger log = LoggerFactory.getLogger(McpRequests.class);

	static final int MAX_BYTES = 1 << 20;

	private final ObjectMapper json;

	McpRequests(ObjectMapper json) {
		this.json = json;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		if (!"POST".equals(request.getMethod())) {
			chain.doFilter(request, response);
			return;
		}
		var body = request.getInputStream().readNBytes(MAX_BYTES + 1);
		if (body.length > MAX_BYTES) {
			invalid(response, null, "the message is larger than " + MAX_BYTES + " bytes", HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);
			return;
		}
		JsonNode message;
		try {
			message = json.readTree(body);
		}
		catch (IOException ex) {
			var detail = ex.getMessage() == null ? "not JSON" : ex.getMessage().lines().findFirst().orElse("not JSON");
			write(response, HttpServletResponse.SC_BAD_REQUEST, error(null, -32700, "Parse error: " + detail));
			return;
		}
		var problem = problem(message);
		if (problem != null) {
			invalid(response, message instanceof ObjectNode object ? object.get("id") : null, problem, HttpServletResponse.SC_BAD_REQUEST);
			return;
		}
		var cached = new ContentCachingResponseWrapper(response);
		chain.doFilter(new Replayed(request, body), cached);
		var answer = cached.getContentAsByteArray();
		if (cached.getStatus() >= 500 || cached.getStatus() >= 400 && new String(answer, StandardCharsets.UTF_8).contains("\"stackTrace\"")) {
			// The SDK serialises its exception, stack trace and all: pass on its code and message only.
			var failed = cached.getStatus() >= 500;
			JsonNode sdk = null;
			try {
				sdk = json.readTree(answer).path("jsonRpcError");
			}
			catch (IOException unreadable) {
				// Not JSON: the generic message below.
			}
			if (failed) {
				log.warn("The MCP server failed on {}: {}", message.path("method").asText("?"),
						sdk == null ? "" : sdk.path("message").asText(""));
			}
			cached.resetBuffer();
			cached.setContentType("application/json");
			cached.getOutputStream().write(json.writeValueAsBytes(failed || sdk == null || !sdk.path("message").isTextual()
					? error(message.get("id"), -32603, "Familiar could not handle this request.")
					: error(message.get("id"), sdk.path("code").asInt(-32600), sdk.path("message").asText())));
		}
		cached.copyBodyToResponse();
	}

	/** What makes {@code message} no JSON-RPC 2.0 request, notification or response, or {@code null}. */
	static @Nullable String problem(JsonNode message) {
		if (!(message instanceof ObjectNode object)) {
			return "a message is one JSON object (batches are not part of MCP since 2025-06-18)";
		}
		if (!"2.0".equals(object.path("jsonrpc").asText(null)) || !object.get("jsonrpc").isTextual()) {
			return "'jsonrpc' must be \"2.0\"";
		}
		var id = object.get("id");
		if (id != null && !id.isTextual() && !id.isIntegralNumber()) {
			return "'id' must be a string or an integer";
		}
		if (object.has("method")) {
			if (!object.get("method").isTextual()) {
				return "'method' must be a string";
			}
			var params = object.get("params");
			if (params != null && !params.isObject()) {
				return "'params' must be an object";
			}
			var method = object.get("method").asText();
			if (params == null) {
				return "tools/call".equals(method) || "resources/read".equals(method) ? "'params' are required for " + method : null;
			}
			return paramsProblem(method, params);
		}
		return "a message to this server is a request or a notification, with a 'method' (it asks clients nothing, so "
				+ "it takes no responses)";
	}

	/** What is wrong with the params of a method Familiar serves (the SDK fails on wrong types with a 500). */
	private static @Nullable String paramsProblem(String method, JsonNode params) {
		var meta = params.get("_meta");
		if (meta != null && !meta.isObject()) {
			return "'params._meta' must be an object";
		}
		return switch (method) {
			case "tools/call" -> !params.path("name").isTextual() ? "'params.name' must be the tool's name, a string"
					: params.has("arguments") && !params.get("arguments").isObject() && !params.get("arguments").isNull()
							? "'params.arguments' must be an object" : null;
			case "resources/read" -> !params.path("uri").isTextual() ? "'params.uri' must be a string" : null;
			case "initialize" -> params.has("protocolVersion") && !params.get("protocolVersion").isTextual()
					? "'params.protocolVersion' must be a string"
					: params.has("capabilities") && !params.get("capabilities").isObject() ? "'params.capabilities' must be an object"
							: params.has("clientInfo") && !(params.get("clientInfo").isObject()
									&& params.get("clientInfo").path("name").isTextual())
											? "'params.clientInfo' must be an object with a 'name'" : null;
			case "tools/list", "resources/list", "resources/templates/list", "prompts/list" ->
				params.has("cursor") && !params.get("cursor").isTextual() && !params.get("cursor").isNull()
						? "'params.cursor' must be a string" : null;
			default -> null;
		};
	}

	private void invalid(HttpServletResponse response, @Nullable JsonNode id, String problem, int status) throws IOException {
		var params = problem.startsWith("'params");
		write(response, status, error(id, params ? -32602 : -32600, (params ? "Invalid params: " : "Invalid Request: ") + problem));
	}

	private ObjectNode error(@Nullable JsonNode id, int code, String message) {
		var node = json.createObjectNode().put("jsonrpc", "2.0");
		node.set("id", id == null || !(id.isTextual() || id.isIntegralNumber()) ? json.nullNode() : id);
		node.putObject("error").put("code", code).put("message", message);
		return node;
	}

	private void write(HttpServletResponse response, int status, ObjectNode body) throws IOException {
		response.setStatus(status);
		response.setContentType("application/json");
		response.setCharacterEncoding("UTF-8");
		response.getOutputStream().write(json.writeValueAsBytes(body));
	}

	/** The request with its body read once here and replayed to the SDK. */
	private static final class Replayed extends HttpServletRequestWrapper {

		private final byte[] body;

		Replayed(HttpServletRequest request, byte[] body) {
			super(request);
			this.body = body;
		}

		@Override
		public ServletInputStream getInputStream() {
			var in = new ByteArrayInputStream(body);
			return new ServletInputStream() {
				@Override
				public int read() {
					return in.read();
				}

				@Override
				public int read(byte[] b, int off, int len) {
					return in.read(b, off, len);
				}

				@Override
				public boolean isFinished() {
					return in.available() == 0;
				}

				@Override
				public boolean isReady() {
					return true;
				}

				@Override
				public void setReadListener(ReadListener listener) {
					throw new UnsupportedOperationException("synchronous only");
				}
			};
		}

		@Override
		public java.io.BufferedReader getReader() {
			return new java.io.BufferedReader(new java.io.InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
		}

		@Override
		public int getContentLength() {
			return body.length;
		}

		@Override
		public long getContentLengthLong() {
			return body.length;
		}
	}
}
