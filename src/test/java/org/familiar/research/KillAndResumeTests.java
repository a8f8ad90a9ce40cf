package org.familiar.research;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.regex.Pattern;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.FamiliarProcesses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A run survives its server being killed (SIGKILL) halfway: the next start of the server goes on
 * with the items left, grades none twice, bills the run's owner as before, and comes to exactly
 * the accuracy an uninterrupted run has. Real processes, one after the other, on the same home.
 */
class KillAndResumeTests {

	private final FamiliarProcesses familiar = new FamiliarProcesses("resume-test");

	private final HttpClient http = HttpClient.newHttpClient();

	private final ObjectMapper json = new ObjectMapper();

	@AfterEach
	void stop() {
		familiar.close();
	}

	@Test
	void aRunKilledHalfwayGoesOnAfterTheRestartWithoutGradingAnItemTwice() throws Exception {
		try (var backend = new FakeModelServer(0, 0)) {
			var question = Pattern.compile("What is (\\d+) plus");
			var asked = new java.util.concurrent.ConcurrentLinkedQueue<String>();
			backend.script = request -> {
				var messages = request.path("messages");
				var matcher = question.matcher(messages.get(messages.size() - 1).path("content").asText());
				if (!matcher.find()) {
					return null;
				}
				asked.add(matcher.group(1));
				try {
					Thread.sleep(100);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				int n = Integer.parseInt(matcher.group(1));
				return n % 2 == 0 ? "The answer is " + (2 * n) + "." : "The answer is 0.";
			};
			familiar.cli("a long password\n", "user", "add", "ada", "--password-stdin");
			var token = familiar.cli("", "token", "create", "ada");
			int port = FamiliarProcesses.freePort();
			var first = familiar.server(port, backend);

			var suite = json.readTree(send(port, token, "POST", "/api/research/suites?name=addition", EvaluationRunTests.ADDITION,
					"application/x-ndjson").body()).path("id").asText();
			var started = send(port, token, "POST", "/api/research/runs",
					"{\"suite\": \"" + suite + "\", \"model\": \"fake-model\", \"concurrency\": 2}", "application/json");
			assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
			var run = json.readTree(started.body()).path("id").asText();
			await().atMost(Duration.ofSeconds(30))
				.until(() -> progress(port, token, run).path("graded").asInt() >= 6);

			FamiliarProcesses.kill(first);
			int askedBeforeRestart = asked.size();
			assertThat(askedBeforeRestart).as("killed halfway").isLessThan(20);
			familiar.server(port, backend);

			await().atMost(Duration.ofSeconds(60)).until(() -> progress(port, token, run).path("status").asText().equals("done"));
			var summary = get(port, token, "/api/research/runs/" + run).path("summary");
			assertThat(summary.path("graded").asInt()).isEqualTo(20);
			assertThat(summary.path("correct").asInt()).isEqualTo(10);
			assertThat(summary.path("accuracy").asDouble()).isEqualTo(0.5);
			var results = get(port, token, "/api/research/runs/" + run + "/results").path("data");
			var items = new HashSet<String>();
			results.forEach(result -> items.add(result.path("item").asText()));
			assertThat(results).hasSize(20);
			assertThat(items).hasSize(20);
			assertThat(results).allSatisfy(result -> assertThat(result.path("error").isNull()).isTrue());
			// Only the items in flight at the kill were asked twice (at most the run's concurrency).
			assertThat(asked).hasSizeBetween(20, 22);
			assertThat(asked.stream().distinct().count()).isEqualTo(20);

			// The resumed part is billed to Ada as the first part was. Nothing is charged twice; the kill
			// may cut off the settling of the (at most two) replies in flight, which are then charged nothing.
			long tokens = 0;
			long largest = 0;
			for (var result : results) {
				long itemTokens = result.path("prompt_tokens").asLong() + result.path("completion_tokens").asLong();
				tokens += itemTokens;
				largest = Math.max(largest, itemTokens);
			}
			await().atMost(Duration.ofSeconds(10)).until(() -> get(port, token, "/api/usage").path("held_tokens").asLong() == 0);
			var usage = get(port, token, "/api/usage");
			assertThat(usage.path("used_tokens").asLong()).isBetween(tokens - 2 * largest, tokens);
			// Each request on the ledger once: those asked, and any admitted but not yet sent at the kill.
			assertThat(usage.path("requests").asInt()).isBetween(asked.size(), asked.size() + 2);
		}
	}

	private JsonNode progress(int port, String token, String run) throws Exception {
		return get(port, token, "/api/research/runs/" + run).path("progress");
	}

	private JsonNode get(int port, String token, String path) throws Exception {
		var response = send(port, token, "GET", path, null, null);
		assertThat(response.statusCode()).as(path + " " + response.body()).isEqualTo(200);
		return json.readTree(response.body());
	}

	private HttpResponse<String> send(int port, String token, String method, String path, String body, String type) throws Exception {
		var builder = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Authorization", "Bearer " + token)
			.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
		if (type != null) {
			builder.header("Content-Type", type);
		}
		return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
	}
}
