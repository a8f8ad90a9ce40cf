package org.familiar.plans;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.CompletableFuture;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.WorkloadClass;
import org.familiar.testing.RunningFamiliar;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/**
 * The bill is exact in every language: Chinese prompts (about a token a character, as the
 * stand-in counts them like real tokenizers) and English ones, plain and streamed, many at once
 * against a tight budget, are charged exactly what the model server reported, and the budget
 * holds. With a reservation of three characters a token, Chinese prompts were reserved at a third
 * of their size and their charge cut to it.
 */
@TestPropertySource(properties = { "familiar.plans.tight.token-budget=6000", "familiar.backends.fake.max-concurrent=8" })
class BillingInEveryLanguageTests extends RunningFamiliar {

	static final String CHINESE = "请用三句话解释一下为什么天空是蓝色的以及日落时为什么会变成红色和橙色谢谢你的帮助我很感激";

	static final String ENGLISH = "Please explain in three sentences why the sky is blue and why it turns red and orange at "
			+ "sunset, thank you very much for your help, I am grateful for it and for everything else today";

	@Autowired
	PlansManagement plans;

	@Autowired
	MeterRegistry meters;

	final ObjectMapper json = new ObjectMapper();

	@Test
	void chineseAndEnglishPromptsAreChargedWhatTheModelServerReported() throws Exception {
		var person = identity.addPerson("li", "correct horse", false, "tight");
		var token = identity.issueToken(person.id(), "t", WorkloadClass.APP).secret();
		var http = HttpClient.newHttpClient();
		var replies = new ArrayList<CompletableFuture<HttpResponse<String>>>();
		for (int i = 0; i < 100; i++) {
			boolean stream = i % 4 < 2;
			var body = json.createObjectNode().put("model", "fake-model").put("max_tokens", 40).put("stream", stream);
			body.putArray("messages").addObject().put("role", "user").put("content", (i % 2 == 0 ? CHINESE : ENGLISH) + " " + i);
			if (stream) {
				body.putObject("stream_options").put("include_usage", true);
			}
			replies.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
				.header("Authorization", "Bearer " + token)
				.header("Content-Type", "application/json")
				.header("X-Familiar-Memory", "off")
				.POST(HttpRequest.BodyPublishers.ofString(body.toString()))
				.build(), HttpResponse.BodyHandlers.ofString()));
		}
		long reported = 0;
		int served = 0;
		int chineseServed = 0;
		for (int i = 0; i < replies.size(); i++) {
			var reply = replies.get(i).join();
			if (reply.statusCode() != 200) {
				assertThat(reply.statusCode()).as(reply.body()).isEqualTo(429);
				continue;
			}
			served++;
			chineseServed += i % 2 == 0 ? 1 : 0;
			reported += usage(reply.body()).path("total_tokens").asLong();
		}
		assertThat(served).as("some ran, some were refused for the budget").isBetween(10, 99);
		assertThat(chineseServed).isPositive();
		// Replies are settled after they are sent: wait for the last settlement.
		await().atMost(Duration.ofSeconds(10)).until(() -> plans.usage(person.id()).heldTokens() == 0);
		var usage = plans.usage(person.id());
		assertThat(usage.usedTokens()).as("charged exactly what the model server reported").isEqualTo(reported);
		assertThat(usage.usedTokens()).as("within the budget").isLessThanOrEqualTo(6000);
		assertThat(meters.counter("familiar.ledger.overshoot").count()).as("no request used more than it reserved").isZero();
	}

	@Test
	void theReservationBoundsAPromptInAnyScript() {
		var chinese = new ChatRequest("r", "p", WorkloadClass.APP, "m", java.util.List.of(new ChatMessage(ChatMessage.Role.USER,
				"天空".repeat(50))), null, null, null, java.util.List.of());
		assertThat(PlansManagement.estimatePrompt(chinese)).as("100 characters, about 100 tokens").isGreaterThanOrEqualTo(300);
		assertThat(PlansManagement.utf8Length("a\u00e9\u4e2d\ud83d\ude00")).isEqualTo(1 + 2 + 3 + 4);
	}

	/** The usage object of a plain reply, or of a stream's usage chunk. */
	private JsonNode usage(String body) throws Exception {
		if (body.startsWith("{")) {
			return json.readTree(body).path("usage");
		}
		for (var line : body.split("\n")) {
			if (line.startsWith("data: {") && line.contains("\"usage\":{")) {
				return json.readTree(line.substring(6)).path("usage");
			}
		}
		throw new AssertionError("no usage in " + body);
	}
}
