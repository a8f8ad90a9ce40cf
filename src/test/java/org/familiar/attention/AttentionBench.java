package org.familiar.attention;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.familiar.testing.WebSession;

/**
 * For bench/attention. {@code policy N}: N decisions of the attention policy in process (a person
 * with four devices in random contexts, random urgencies and histories), decisions per second and
 * p50/p99 in microseconds. {@code link PORT USER PASSWORD CLIENT_ID COUNT FILE}: links COUNT devices
 * through the real device flow and consent form, reports a context for each, writes their access
 * tokens to FILE. {@code streams PORT COUNT FILE}: opens COUNT device streams (raw sockets, round
 * robin over the tokens), prints when all are open, and holds them until killed.
 */
public final class AttentionBench {

	public static void main(String[] args) throws Exception {
		switch (args[0]) {
			case "policy" -> policy(Integer.parseInt(args[1]));
			case "link" -> link(Integer.parseInt(args[1]), args[2], args[3], args[4], Integer.parseInt(args[5]), Path.of(args[6]));
			case "streams" -> streams(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
			default -> throw new IllegalArgumentException(args[0]);
		}
	}

	static void policy(int count) {
		var policy = new AttentionPolicy(Duration.ofMinutes(30), Duration.ofMinutes(2));
		var rules = new AttentionRules(ZoneOffset.UTC, LocalTime.of(22, 0), LocalTime.of(7, 0),
				List.of(LocalTime.NOON, LocalTime.of(18, 0)), true, Set.of("app:muted"));
		var random = new Random(7);
		var now = Instant.parse("2026-12-02T13:30:00Z");
		var kinds = List.of("phone", "watch", "speaker", "desktop");
		var urgencies = Urgency.values();
		var nanos = new long[count];
		long checksum = 0;
		for (int round = 0; round < 2; round++) {
			for (int i = 0; i < count; i++) {
				var devices = new ArrayList<AttentionPolicy.Device>();
				for (var kind : kinds) {
					var context = random.nextInt(5) == 0 ? null
							: new DeviceContext(DeviceContext.ACTIVITIES.get(random.nextInt(DeviceContext.ACTIVITIES.size())),
									random.nextBoolean(), DeviceContext.SCREENS.get(random.nextInt(3)), null, null,
									now.minusSeconds(random.nextInt(3600)));
					devices.add(new AttentionPolicy.Device(kind, kind, kind, context));
				}
				var incoming = new AttentionPolicy.Incoming("app:" + random.nextInt(20), "App", urgencies[random.nextInt(4)],
						random.nextBoolean() ? "news" : null, random.nextInt(50) == 0 ? now.minusSeconds(1) : null);
				var history = new AttentionPolicy.History(random.nextInt(30) == 0,
						random.nextInt(4) == 0 ? now.minusSeconds(random.nextInt(300)) : null, java.util.Map.of());
				var at = now.plusSeconds(random.nextInt(86_400));
				long started = System.nanoTime();
				var decision = policy.decide(incoming, devices, rules, history, at);
				nanos[i] = System.nanoTime() - started;
				checksum += decision.reason().length();
			}
		}
		var total = Arrays.stream(nanos).sum();
		Arrays.sort(nanos);
		System.out.printf("policy: %d decisions, %.0f decisions/s on one thread, p50 %.1f µs, p99 %.1f µs (checksum %d)%n", count,
				count / (total / 1e9), nanos[count / 2] / 1e3, nanos[(int) (count * 0.99)] / 1e3, checksum);
	}

	static void link(int port, String user, String password, String clientId, int count, Path file) throws Exception {
		var json = new ObjectMapper();
		var http = HttpClient.newHttpClient();
		var person = new WebSession(port);
		person.signIn(user, password);
		var tokens = new ArrayList<String>();
		var contexts = List.of("{\"activity\":\"working\",\"screen\":\"off\"}", "{\"screen\":\"on\"}", "{\"screen\":\"none\"}",
				"{\"activity\":\"meeting\",\"screen\":\"off\"}");
		var kinds = List.of("phone", "watch", "speaker", "desktop");
		for (int i = 0; i < count; i++) {
			var started = json.readTree(form(http, port, "/oauth2/device_authorization", "client_id=" + clientId
					+ "&scope=familiar.device&device_name=Device+" + i + "&device_kind=" + kinds.get(i % 4)));
			var code = started.get("user_code").asText();
			var page = person.get(WebSession.location(person.get("/oauth2/device_verification?user_code=" + code)));
			person.post("/oauth2/device_verification", "client_id", clientId, "state", WebSession.field(page.body(), "state"),
					"user_code", code, "scope", "familiar.device", "_csrf", WebSession.csrf(page.body()));
			var token = json.readTree(form(http, port, "/oauth2/token", "grant_type=urn:ietf:params:oauth:grant-type:device_code"
					+ "&client_id=" + clientId + "&device_code=" + started.get("device_code").asText())).get("access_token").asText();
			http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/devices/current/context"))
				.header("Authorization", "Bearer " + token)
				.header("Content-Type", "application/json")
				.PUT(HttpRequest.BodyPublishers.ofString(contexts.get(i % 4)))
				.build(), HttpResponse.BodyHandlers.discarding());
			tokens.add(token);
		}
		Files.write(file, tokens);
	}

	private static String form(HttpClient http, int port, String path, String body) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofString()).body();
	}

	static void streams(int port, int count, Path file) throws IOException, InterruptedException {
		var tokens = Files.readAllLines(file);
		var selector = Selector.open();
		var started = System.nanoTime();
		for (int i = 0; i < count; i++) {
			var channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
			channel.write(ByteBuffer.wrap(("GET /api/devices/current/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
					+ "Authorization: Bearer " + tokens.get(i % tokens.size()) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
			channel.configureBlocking(false);
			channel.register(selector, SelectionKey.OP_READ, new int[1]);
		}
		int open = 0;
		int failed = 0;
		var buffer = ByteBuffer.allocate(8192);
		var deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
		while (open + failed < count && System.nanoTime() < deadline) {
			selector.select(1000);
			for (var key : selector.selectedKeys()) {
				var channel = (SocketChannel) key.channel();
				buffer.clear();
				int read = channel.read(buffer);
				int[] seen = (int[]) key.attachment();
				if (read < 0) {
					failed++;
					key.cancel();
					channel.close();
					continue;
				}
				var text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
				if (seen[0] == 0 && text.startsWith("HTTP/1.1 200")) {
					seen[0] = 1;
				}
				else if (seen[0] == 0) {
					seen[0] = 2;
					failed++;
				}
				if (seen[0] == 1 && text.contains(":connected")) {
					seen[0] = 3;
					open++;
				}
			}
			selector.selectedKeys().clear();
		}
		System.out.printf("streams: %d open, %d refused, in %.1f s%n", open, failed, (System.nanoTime() - started) / 1e9);
		System.out.flush();
		while (true) {
			// Keep reading (heartbeats) so the server's writes never block; held until killed.
			selector.select(1000);
			for (var key : selector.selectedKeys()) {
				buffer.clear();
				if (((SocketChannel) key.channel()).read(buffer) < 0) {
					key.cancel();
				}
			}
			selector.selectedKeys().clear();
		}
	}

	private AttentionBench() {
	}
}
