package org.familiar.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.familiar.FamiliarApplication;

/**
 * Familiar as real processes on one fresh home (or schema): servers that can be killed with
 * SIGKILL and started again, and command-line runs between them. Close it to kill what is left.
 */
public final class FamiliarProcesses implements AutoCloseable {

	private final Map<String, String> home = TestHome.fresh();

	private final String node;

	private final List<Process> processes = new ArrayList<>();

	private final HttpClient http = HttpClient.newHttpClient();

	/** @param node the node name every process uses, so a restarted server recovers its predecessor's work */
	public FamiliarProcesses(String node) {
		this.node = node;
	}

	private List<String> java(String... args) {
		return java(node, args);
	}

	private List<String> java(String node, String... args) {
		var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-cp", System.getProperty("java.class.path"), FamiliarApplication.class.getName()));
		command.addAll(List.of(args));
		home.forEach((key, value) -> command.add("--" + key + "=" + value));
		command.add("--familiar.node=" + node);
		command.add("--familiar.embedded.enabled=false");
		return command;
	}

	/** Starts a server on {@code port} with {@code backend} as backend {@code fake}, and waits until it is up. */
	public Process server(int port, FakeModelServer backend) throws IOException {
		return replica(node, port, backend);
	}

	/**
	 * Starts a server as the replica {@code node} on the same database (and, under the
	 * {@code redis} profile, the same Redis) as the others, and waits until it is up.
	 */
	public Process replica(String node, int port, FakeModelServer backend, String... settings) throws IOException {
		var args = new ArrayList<>(List.of("--server.port=" + port, "--familiar.backends.fake.url=" + backend.baseUrl()));
		args.addAll(List.of(settings));
		var process = new ProcessBuilder(java(node, args.toArray(String[]::new)))
			.redirectErrorStream(true)
			.redirectOutput(new File(home.get("familiar.home"), "server-" + processes.size() + ".log"))
			.start();
		processes.add(process);
		await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
			try {
				return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health")).build(),
						HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
			}
			catch (IOException notYet) {
				return false;
			}
		});
		return process;
	}

	/** Runs a command line with {@code stdin}, asserts it succeeded, and returns its standard output. */
	public String cli(String stdin, String... args) throws Exception {
		var errors = File.createTempFile("familiar-cli", ".log");
		errors.deleteOnExit();
		var process = new ProcessBuilder(java(args)).redirectError(errors).start();
		process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
		process.getOutputStream().close();
		var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as(() -> "exit of " + List.of(args) + ", which said: " + tail(errors)).isZero();
		return out;
	}

	/** A streamed request the tests keep in flight (reservation held) while they kill its server. */
	public static final String LONG_STREAM = "{\"model\":\"fake-model\",\"stream\":true,\"max_tokens\":50,\"messages\":[{\"role\":\"user\","
			+ "\"content\":\"one two three four five six seven eight nine ten\"}]}";

	/**
	 * Sends {@link #LONG_STREAM} to the server on {@code port} and returns once its reply has
	 * started; the stream stays open (close the reader to end it), so the request stays in flight.
	 */
	public static java.io.BufferedReader replyStarted(HttpClient http, int port, String token) throws Exception {
		return replyStarted(http, port, token, LONG_STREAM);
	}

	/** Sends a streamed request {@code body} and returns once its reply has started, as above. */
	public static java.io.BufferedReader replyStarted(HttpClient http, int port, String token, String body) throws Exception {
		var stream = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofInputStream());
		var reader = new java.io.BufferedReader(new java.io.InputStreamReader(stream.body(), StandardCharsets.UTF_8));
		String line;
		while ((line = reader.readLine()) != null && !line.contains("Hello!")) {
			// until the reply has started
		}
		assertThat(line).as("the reply started").contains("Hello!");
		return reader;
	}

	/** {@code GET /api/usage} with {@code token} on the server at {@code port}: the person's balance and holds. */
	public static com.fasterxml.jackson.databind.JsonNode usage(HttpClient http, int port, String token) throws Exception {
		var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/usage"))
			.header("Authorization", "Bearer " + token)
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		return new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body());
	}

	/** Kills a server at once (SIGKILL), as a crash or power cut would. */
	public static void kill(Process server) throws InterruptedException {
		server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
	}

	private static String tail(File log) {
		try {
			var text = java.nio.file.Files.readString(log.toPath());
			return text.substring(Math.max(0, text.length() - 3000));
		}
		catch (IOException ex) {
			return ex.toString();
		}
	}

	public static int freePort() throws IOException {
		try (var socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	@Override
	public void close() {
		processes.forEach(Process::destroyForcibly);
	}
}
