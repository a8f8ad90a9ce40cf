package org.familiar.plans;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.FamiliarProcesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The ledger survives a crash: a server killed (SIGKILL) mid-reply leaves a reservation behind;
 * the next start on the same node settles it once, and nothing is held or counted twice.
 * Real processes: two servers and the CLI, one after the other, on the same home or schema.
 */
class CrashRecoveryTests {

	private final FamiliarProcesses familiar = new FamiliarProcesses("crash-test");

	private final HttpClient http = HttpClient.newHttpClient();

	private final ObjectMapper json = new ObjectMapper();

	@AfterEach
	void stop() {
		familiar.close();
	}

	private JsonNode usage(int port, String token) throws Exception {
		return FamiliarProcesses.usage(http, port, token);
	}

	@Test
	void aServerKilledMidReplyLeavesNothingHeldOrCountedTwice() throws Exception {
		try (var backend = new FakeModelServer(0, 150)) {
			familiar.cli("a long password\n", "user", "add", "crash", "--password-stdin");
			var token = familiar.cli("", "token", "create", "crash");
			int port = FamiliarProcesses.freePort();
			var first = familiar.server(port, backend);

			FamiliarProcesses.replyStarted(http, port, token);
			assertThat(usage(port, token).path("held_tokens").asLong()).isPositive();

			FamiliarProcesses.kill(first);
			familiar.server(port, backend);

			var afterRestart = usage(port, token);
			assertThat(afterRestart.path("held_tokens").asLong()).isZero();
			assertThat(afterRestart.path("requests").asLong()).isEqualTo(1);
			assertThat(afterRestart.path("used_tokens").asLong()).isZero();

			var plain = FamiliarProcesses.LONG_STREAM.replace("\"stream\":true", "\"stream\":false");
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
