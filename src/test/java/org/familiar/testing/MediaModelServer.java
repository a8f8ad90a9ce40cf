package org.familiar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;

/**
 * A stand-in for an OpenAI-compatible media server (LocalAI, stable-diffusion.cpp's server, a
 * hosted API): {@code POST /v1/images/generations} answers real PNGs (a picture drawn from the
 * prompt, so different prompts differ), and video jobs ({@code POST /v1/videos},
 * {@code GET /v1/videos/{id}}, {@code …/content}) advance by {@link #stepPercent} each time they
 * are asked and end in a small, structurally valid MP4.
 */
public final class MediaModelServer implements AutoCloseable {

	public static final String IMAGE_MODEL = "stand-in-image";

	public static final String VIDEO_MODEL = "stand-in-video";

	private static final ObjectMapper JSON = new ObjectMapper();

	private final HttpServer server;

	/** Every request body it was sent, in order. */
	public final ConcurrentLinkedDeque<JsonNode> requests = new ConcurrentLinkedDeque<>();

	public final AtomicInteger images = new AtomicInteger();

	/** How far a job gets each time it is polled. */
	public volatile int stepPercent = 50;

	/** When set, every job fails at its first poll with this message. */
	public volatile String failJobs;

	private final Map<String, int[]> jobs = new ConcurrentHashMap<>();

	private final AtomicInteger ids = new AtomicInteger();

	public MediaModelServer() throws IOException {
		this(0);
	}

	public MediaModelServer(int port) throws IOException {
		server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
		server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
		server.createContext("/v1/models", exchange -> respond(exchange, 200, JSON.writeValueAsBytes(Map.of("object", "list",
				"data", java.util.List.of(Map.of("id", IMAGE_MODEL, "object", "model"), Map.of("id", VIDEO_MODEL, "object", "model"))))));
		server.createContext("/v1/images/generations", this::image);
		server.createContext("/v1/images/edits", this::edit);
		server.createContext("/v1/videos", this::videos);
		server.start();
	}

	public String baseUrl() {
		return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
	}

	/** Starts one and configures it as backend {@code name}; call it from a {@code @DynamicPropertySource}. */
	public static MediaModelServer serve(org.springframework.test.context.DynamicPropertyRegistry registry, String name)
			throws IOException {
		var server = new MediaModelServer();
		registry.add("familiar.backends." + name + ".url", server::baseUrl);
		return server;
	}

	private void image(HttpExchange exchange) throws IOException {
		var body = JSON.readTree(exchange.getRequestBody());
		requests.add(body);
		int n = body.path("n").asInt(1);
		var data = JSON.createArrayNode();
		for (int i = 0; i < n; i++) {
			images.incrementAndGet();
			data.addObject().put("b64_json", Base64.getEncoder().encodeToString(png(body.path("prompt").asText() + i)))
				.put("revised_prompt", body.path("prompt").asText());
		}
		var answer = JSON.createObjectNode().put("created", 1_700_000_000L);
		answer.set("data", data);
		respond(exchange, 200, JSON.writeValueAsBytes(answer));
	}

	/** The form's bytes of every edit it was sent. */
	public final ConcurrentLinkedDeque<byte[]> edits = new ConcurrentLinkedDeque<>();

	/** An edit: a multipart form with the image; answers a new PNG seeded by the form. */
	private void edit(HttpExchange exchange) throws IOException {
		var type = exchange.getRequestHeaders().getFirst("Content-Type");
		var form = exchange.getRequestBody().readAllBytes();
		if (type == null || !type.startsWith("multipart/form-data") || indexOf(form, "name=\"image".getBytes(StandardCharsets.US_ASCII)) < 0) {
			respond(exchange, 400, "{\"error\":{\"message\":\"send the image as multipart form data\",\"param\":\"image\"}}"
				.getBytes(StandardCharsets.UTF_8));
			return;
		}
		edits.add(form);
		images.incrementAndGet();
		var data = JSON.createArrayNode();
		data.addObject().put("b64_json", Base64.getEncoder().encodeToString(png("edit" + java.util.Arrays.hashCode(form))));
		var answer = JSON.createObjectNode().put("created", 1_700_000_000L);
		answer.set("data", data);
		respond(exchange, 200, JSON.writeValueAsBytes(answer));
	}

	public static int indexOf(byte[] haystack, byte[] needle) {
		outer:
		for (int i = 0; i + needle.length <= haystack.length; i++) {
			for (int j = 0; j < needle.length; j++) {
				if (haystack[i + j] != needle[j]) {
					continue outer;
				}
			}
			return i;
		}
		return -1;
	}

	/** A 32×32 PNG of 8×8 coloured tiles chosen by the text's hash, so different texts make different pictures. */
	public static byte[] png(String seed) throws IOException {
		var image = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
		var random = new java.util.Random(seed.hashCode());
		for (int y = 0; y < 32; y += 4) {
			for (int x = 0; x < 32; x += 4) {
				var g = image.createGraphics();
				g.setColor(new Color(random.nextInt(0xffffff)));
				g.fillRect(x, y, 4, 4);
				g.dispose();
			}
		}
		var out = new ByteArrayOutputStream();
		ImageIO.write(image, "png", out);
		return out.toByteArray();
	}

	private void videos(HttpExchange exchange) throws IOException {
		var path = exchange.getRequestURI().getPath().substring("/v1/videos".length());
		if (exchange.getRequestMethod().equals("POST") && path.isEmpty()) {
			var body = JSON.readTree(exchange.getRequestBody());
			requests.add(body);
			var id = "remote_" + ids.incrementAndGet();
			jobs.put(id, new int[] { 0, body.path("seconds").asInt(4) });
			respond(exchange, 200, JSON.writeValueAsBytes(Map.of("id", id, "object", "video", "status", "queued", "progress", 0)));
			return;
		}
		var parts = path.split("/");
		var job = parts.length > 1 ? jobs.get(parts[1]) : null;
		if (job == null) {
			respond(exchange, 404, "{\"error\":{\"message\":\"no such video\"}}".getBytes(StandardCharsets.UTF_8));
			return;
		}
		if (parts.length == 3 && parts[2].equals("content")) {
			respond(exchange, 200, mp4(job[1]), "video/mp4");
			return;
		}
		if (failJobs != null) {
			respond(exchange, 200, JSON.writeValueAsBytes(Map.of("id", parts[1], "status", "failed", "error",
					Map.of("code", "moderation", "message", failJobs))));
			return;
		}
		job[0] = Math.min(100, job[0] + stepPercent);
		respond(exchange, 200, JSON.writeValueAsBytes(Map.of("id", parts[1], "object", "video", "status",
				job[0] >= 100 ? "completed" : "in_progress", "progress", job[0], "seconds", Integer.toString(job[1]))));
	}

	/** ftyp, moov (with an mvhd of the given length in seconds) and mdat boxes. */
	public static byte[] mp4(int seconds) {
		var ftyp = box("ftyp", ByteBuffer.allocate(16).put("isom".getBytes(StandardCharsets.US_ASCII)).putInt(512)
			.put("isomiso2".getBytes(StandardCharsets.US_ASCII)).array());
		var mvhd = ByteBuffer.allocate(100).putInt(0).putInt(0).putInt(0).putInt(1000).putInt(seconds * 1000).putInt(0x00010000)
			.putShort((short) 0x0100).array();
		var moov = box("moov", box("mvhd", mvhd));
		var media = new byte[2048];
		new java.util.Random(seconds).nextBytes(media);
		var mdat = box("mdat", media);
		var out = new ByteArrayOutputStream();
		out.writeBytes(ftyp);
		out.writeBytes(moov);
		out.writeBytes(mdat);
		return out.toByteArray();
	}

	private static byte[] box(String type, byte[] payload) {
		return ByteBuffer.allocate(8 + payload.length).putInt(8 + payload.length).put(type.getBytes(StandardCharsets.US_ASCII))
			.put(payload).array();
	}

	private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
		respond(exchange, status, body, "application/json");
	}

	private static void respond(HttpExchange exchange, int status, byte[] body, String type) throws IOException {
		exchange.getResponseHeaders().set("Content-Type", type);
		exchange.sendResponseHeaders(status, body.length);
		try (var out = exchange.getResponseBody()) {
			out.write(body);
		}
	}

	/** Run alone for bench/media: {@code java -cp … org.familiar.testing.MediaModelServer PORT}. */
	public static void main(String[] args) throws Exception {
		new MediaModelServer(Integer.parseInt(args[0]));
		Thread.currentThread().join();
	}

	/** Stops answering at once: a job running on it is cut off mid-way. */
	@Override
	public void close() {
		server.stop(0);
	}
}
