package org.familiar.plans;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
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
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The ledger survives a crash: a server killed (SIGKILL) mid-reply leaves a reservation behind;
 * the next start on the same node settles it once, and nothing is held or counted twice.
 * Real processes: two servers and the CLI, one after the other, on the same home or schema.
 */
class CrashRecoveryTests {

	private final Map<String, String> home = TestHome.fresh();

	private final List<Process> processes = new ArrayList<>();

	private final HttpClient http = HttpClient.newHttpClient();

	private final ObjectMapper json = new ObjectMapper();

	@AfterEach
	void stop() {
		processes.forEach(Process::destroyForcibly);
	}

	private List<String> java(String... args) {
		var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-cp", System.getProperty("java.class.path"), FamiliarApplication.class.getName()));
		command.addAll(List.of(args));
		home.forEach((key, value) -> command.add("--" + key + "=" + value));
		command.add("--familiar.node=crash-test");
		command.add("--familiar.embedded.enabled=false");
		return command;
	}

	private Process server(int port, FakeModelServer backend) throws IOException {
		var process = new ProcessBuilder(java("--server.port=" + port, "--familiar.backends.fake.url=" + backend.baseUrl()))
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

	private String cli(String stdin, String... args) throws Exception {
		var process = new ProcessBuilder(java(args)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
		process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
		process.getOutputStream().close();
		var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as("exit of %s", List.of(args)).isZero();
		return out;
	}

	private JsonNode usage(int port, String token) throws Exception {
		var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/usage"))
			.header("Authorization", "Bearer " + token)
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		return json.readTree(response.body());
	}

	private static int freePort() throws IOException {
		try (var socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	@Test
	void aServerKilledMidReplyLeavesNothingHeldOrCountedTwice() throws Exception {
		try (var backend = new FakeModelServer(0, 150)) {
			cli("a long password\n", "user", "add", "crash", "--password-stdin");
			var token = cli("", "token", "create", "crash");
			int port = freePort();
			var first = server(port, backend);

			var body = "{\"model\":\"fake-model\",\"stream\":true,\"max_tokens\":50,\"messages\":[{\"role\":\"user\","
					+ "\"content\":\"one two three four five six seven eight nine ten\"}]}";
			var stream = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
				.header("Authorization", "Bearer " + token)
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString(body))
				.build(), HttpResponse.BodyHandlers.ofInputStream());
			var reader = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8));
			String line;
			while ((line = reader.readLine()) != null && !line.contains("Hello!")) {
				// until the reply has started
			}
			assertThat(line).contains("Hello!");
			assertThat(usage(port, token).path("held_tokens").asLong()).isPositive();

			first.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
			server(port, backend);

			var afterRestart = usage(port, token);
			assertThat(afterRestart.path("held_tokens").asLong()).isZero();
			assertThat(afterRestart.path("requests").asLong()).isEqualTo(1);
			assertThat(afterRestart.path("used_tokens").asLong()).isZero();

			var plain = body.replace("\"stream\":true", "\"stream\":false");
			var reply = json.readTree(http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
				.header("Authorization", "Bearer " + token)
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString(plain))
				.build(), HttpResponse.BodyHandlers.ofString()).body());
			long charged = reply.path("usage").path("total_tokens").asLong();
			await().atMost(Duration.ofSeconds(10)).until(() -> usage(port, token).path("held_tokens").asLong() == 0);
			var end = usage(port, token);
			assertThat(end.path("requests").asLong()).isEqualTo(2);
			assertThat(end.path("used_tokens").asLong()).isEqualTo(charged);
		}
	}
}
