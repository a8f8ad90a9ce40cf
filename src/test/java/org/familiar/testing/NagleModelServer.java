package org.familiar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a model server that leaves Nagle's algorithm on, as llama.cpp's server does by
 * default: HTTP/1.1 with keep-alive on plain sockets without {@code TCP_NODELAY}, the response
 * head and body written separately (so a client that waits for the body before it acknowledges
 * anything meets the 40 ms delayed-ACK stall), and a stream written a chunk at a time. It echoes
 * like {@link FakeModelServer} and counts the connections it accepted, so a test can tell pooled
 * connections from new ones.
 *
 * <p>Run alone: {@code java -cp … org.familiar.testing.NagleModelServer PORT [MODEL]}.
 */
public final class NagleModelServer implements AutoCloseable {

	private static final ObjectMapper JSON = new ObjectMapper();

	private final ServerSocket server;

	private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

	/** Connections accepted. */
	public final AtomicInteger connections = new AtomicInteger();

	/** Requests answered. */
	public final AtomicInteger requests = new AtomicInteger();

	/** Chat requests that asked for a stream. */
	public final AtomicInteger streamed = new AtomicInteger();

	private final String model;

	public NagleModelServer(int port) throws IOException {
		this(port, FakeModelServer.MODEL);
	}

	public NagleModelServer(int port, String model) throws IOException {
		this.model = model;
		server = new ServerSocket(port, 1024, InetAddress.getLoopbackAddress());
		threads.submit(this::accept);
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + server.getLocalPort() + "/v1";
	}

	private void accept() {
		while (!server.isClosed()) {
			try {
				var socket = server.accept();
				socket.setTcpNoDelay(false);
				connections.incrementAndGet();
				threads.submit(() -> serve(socket));
			}
			catch (IOException closed) {
				return;
			}
		}
	}

	private void serve(Socket socket) {
		try (socket) {
			var in = new BufferedInputStream(socket.getInputStream());
			var out = socket.getOutputStream();
			while (true) {
				var head = head(in);
				if (head == null) {
					return;
				}
				int length = 0;
				for (var line : head.split("\r\n")) {
					if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
						length = Integer.parseInt(line.substring(15).strip());
					}
				}
				var body = in.readNBytes(length);
				requests.incrementAndGet();
				if (head.startsWith("GET /v1/models")) {
					plain(out, "{\"object\":\"list\",\"data\":[{\"id\":\"" + model
							+ "\",\"object\":\"model\",\"created\":0,\"owned_by\":\"nagle\"}]}");
					continue;
				}
				var request = JSON.readTree(body);
				var messages = request.path("messages");
				var last = messages.get(messages.size() - 1).path("content").asText();
				var tokens = FakeModelServer.tokens("Hello! You said: " + last);
				if (request.path("stream").asBoolean()) {
					streamed.incrementAndGet();
					stream(out, request, tokens);
				}
				else {
					var reply = JSON.createObjectNode().put("id", "nagle-1").put("object", "chat.completion").put("created", 0)
						.put("model", request.path("model").asText());
					var choice = reply.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
					choice.putObject("message").put("role", "assistant").put("content", String.join("", tokens));
					reply.putObject("usage").put("prompt_tokens", 3).put("completion_tokens", tokens.size())
						.put("total_tokens", 3 + tokens.size());
					plain(out, JSON.writeValueAsString(reply));
				}
			}
		}
		catch (IOException gone) {
			// The client closed the connection.
		}
	}

	/** Head, then body: two small writes, as a server that does not coalesce them makes. */
	private static void plain(OutputStream out, String body) throws IOException {
		var bytes = body.getBytes(StandardCharsets.UTF_8);
		out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
			.getBytes(StandardCharsets.US_ASCII));
		out.flush();
		out.write(bytes);
		out.flush();
	}

	private static void stream(OutputStream out, JsonNode request, java.util.List<String> tokens) throws IOException {
		out.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
			.getBytes(StandardCharsets.US_ASCII));
		out.flush();
		var model = request.path("model").asText();
		for (var token : tokens) {
			var chunk = JSON.createObjectNode().put("id", "nagle-1").put("object", "chat.completion.chunk").put("created", 0)
				.put("model", model);
			chunk.putArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta").put("content", token);
			event(out, JSON.writeValueAsString(chunk));
		}
		var end = JSON.createObjectNode().put("id", "nagle-1").put("object", "chat.completion.chunk").put("created", 0)
			.put("model", model);
		end.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop").putObject("delta");
		event(out, JSON.writeValueAsString(end));
		if (request.path("stream_options").path("include_usage").asBoolean()) {
			event(out, "{\"id\":\"nagle-1\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"" + model
					+ "\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":" + tokens.size()
					+ ",\"total_tokens\":" + (3 + tokens.size()) + "}}");
		}
		event(out, "[DONE]");
		out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
		out.flush();
	}

	private static void event(OutputStream out, String data) throws IOException {
		var bytes = ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
		out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
		out.write(bytes);
		out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
		out.flush();
	}

	/** The request line and headers, or {@code null} at the end of the connection. */
	private static String head(InputStream in) throws IOException {
		var head = new StringBuilder();
		int c;
		while ((c = in.read()) != -1) {
			head.append((char) c);
			if (head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4) {
				return head.toString();
			}
		}
		return null;
	}

	@Override
	public void close() throws IOException {
		server.close();
		threads.shutdownNow();
	}

	public static void main(String[] args) throws Exception {
		try (var server = new NagleModelServer(args.length > 0 ? Integer.parseInt(args[0]) : 8901,
				args.length > 1 ? args[1] : FakeModelServer.MODEL)) {
			System.out.println("Nagle model server on " + server.baseUrl());
			Thread.currentThread().join();
		}
	}
}
