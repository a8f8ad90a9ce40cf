package org.familiar.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.familiar.compute.capacity.CapacityScheduler;
import org.familiar.identity.IdentityManagement;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Routing, failover, the circuit breaker and admission end to end: real HTTP, the openai-java SDK,
 * and fake backends that the tests kill and bring back.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureObservability(tracing = false)
class RoutingAndCapacityTests {

	static FakeModelServer a;

	static FakeModelServer b;

	static int bPort;

	/** One slot, 100 ms a token: a reply of a dozen words holds it for over a second. */
	static FakeModelServer slow;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		a = FakeModelServer.serve(registry, "a", 0);
		b = FakeModelServer.serve(registry, "b", 0);
		bPort = b.port();
		slow = new FakeModelServer(0, 100, "slow-model");
		registry.add("familiar.backends.slow.url", slow::baseUrl);
		registry.add("familiar.backends.slow.max-concurrent", () -> "1");
		registry.add("familiar.aliases.default", () -> "fake-model");
		registry.add("familiar.breaker.minimum-calls", () -> "4");
		registry.add("familiar.breaker.window", () -> "10");
		registry.add("familiar.breaker.cooldown", () -> "PT1S");
		registry.add("familiar.capacity.classes.batch.max-queue", () -> "1");
		registry.add("familiar.capacity.classes.app.max-wait", () -> "PT0.5S");
		// The breaker, not the periodic probe, is what must take a dead backend out here.
		registry.add("familiar.health-check-interval", () -> "PT1H");
		registry.add("familiar.embedded.enabled", () -> "false");
	}

	@AfterAll
	static void stopBackends() {
		a.close();
		b.close();
		slow.close();
	}

	@LocalServerPort
	int port;

	@Autowired
	IdentityManagement identity;

	@Autowired
	ComputeManagement compute;

	@Autowired
	org.familiar.plans.PlansManagement plans;

	private final HttpClient http = HttpClient.newHttpClient();

	private org.familiar.identity.PersonId person;

	@BeforeEach
	void signUp() {
		person = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null).id();
	}

	private String token(WorkloadClass workload) {
		return identity.issueToken(person, workload.id(), workload).secret();
	}

	private OpenAIClient client(String token) {
		return OpenAIOkHttpClient.builder()
			.baseUrl("http://localhost:" + port + "/v1")
			.apiKey(token)
			.maxRetries(0)
			.build();
	}

	private static ChatCompletionCreateParams ask(String model, String text) {
		return ChatCompletionCreateParams.builder().model(model).addUserMessage(text).build();
	}

	private ComputeManagement.BackendCapacity capacity(String backend) {
		return compute.capacity().stream().filter(c -> c.load().backend().equals(backend)).findFirst().orElseThrow();
	}

	private CapacityScheduler.ClassLoad slowLoad(WorkloadClass workload) {
		return capacity("slow").load().classes().get(workload.ordinal());
	}

	/** A reply from the slow backend that holds its only slot for about 1.5 s. */
	private CompletableFuture<HttpResponse<String>> holdSlowSlot(String token) {
		var body = "{\"model\":\"slow-model\",\"messages\":[{\"role\":\"user\",\"content\":\"one two three four five six seven eight nine ten eleven\"}]}";
		return http.sendAsync(post(token, body), HttpResponse.BodyHandlers.ofString());
	}

	private HttpRequest post(String token, String body) {
		return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build();
	}

	@Test
	void failsOverToAnotherBackendAndTheBreakerOpensAndClosesAgain() throws Exception {
		var openai = client(token(WorkloadClass.INTERACTIVE));
		b.close();

		for (int i = 0; i < 12; i++) {
			var reply = openai.chat().completions().create(ask("fake-model", "still there " + i));
			assertThat(reply.choices().get(0).message().content()).hasValue("Hello! You said: still there " + i);
		}
		assertThat(capacity("b").breaker()).isEqualTo("open");
		assertThat(prometheus()).containsPattern("resilience4j_circuitbreaker_state\\{name=\"b\",state=\"open\"} 1\\.0");

		b = new FakeModelServer(bPort, 0);
		await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).until(() -> {
			openai.chat().completions().create(ask("fake-model", "back?"));
			return capacity("b").breaker().equals("closed");
		});
		assertThat(b.completions.get()).isPositive();
		assertThat(prometheus()).containsPattern("familiar_backend_errors_total\\{backend=\"b\",kind=\"unavailable\"} [1-9]");
	}

	@Test
	void aFullQueueGets429WithRetryAfter() {
		var batch = token(WorkloadClass.BATCH);
		var holder = holdSlowSlot(batch);
		await().until(() -> slowLoad(WorkloadClass.BATCH).running() == 1);
		var queued = holdSlowSlot(batch);
		await().until(() -> slowLoad(WorkloadClass.BATCH).waiting() == 1);

		assertThatThrownBy(() -> client(batch).chat().completions().create(ask("slow-model", "me too")))
			.isInstanceOfSatisfying(RateLimitException.class, ex -> {
				assertThat(ex.statusCode()).isEqualTo(429);
				assertThat(Integer.parseInt(ex.headers().values("Retry-After").get(0))).isPositive();
				assertThat(ex.code()).hasValue("rate_limit_exceeded");
				assertThat(ex.getMessage()).contains("queue holds 1");
			});
		assertThat(holder.join().statusCode()).isEqualTo(200);
		assertThat(queued.join().statusCode()).isEqualTo(200);
	}

	@Test
	void waitingLongerThanTheClassAllowsGets429() {
		var holder = holdSlowSlot(token(WorkloadClass.INTERACTIVE));
		await().until(() -> slowLoad(WorkloadClass.INTERACTIVE).running() == 1);

		assertThatThrownBy(() -> client(token(WorkloadClass.APP)).chat().completions().create(ask("slow-model", "hi")))
			.isInstanceOfSatisfying(RateLimitException.class, ex -> {
				assertThat(ex.headers().values("Retry-After")).isNotEmpty();
				assertThat(ex.getMessage()).contains("waited 0.5 s").contains("app requests");
			});
		assertThat(slowLoad(WorkloadClass.APP).waiting()).isZero();
		assertThat(holder.join().statusCode()).isEqualTo(200);
	}

	@Test
	void aClientThatDisconnectsWhileQueuedGivesUpItsPlace() throws Exception {
		var token = token(WorkloadClass.INTERACTIVE);
		int before = slow.completions.get();
		var holder = holdSlowSlot(token);
		await().until(() -> slowLoad(WorkloadClass.INTERACTIVE).running() == 1);

		try (var socket = rawRequest(token, false)) {
			await().until(() -> slowLoad(WorkloadClass.INTERACTIVE).waiting() == 1);
		}
		await().atMost(Duration.ofSeconds(1)).until(() -> slowLoad(WorkloadClass.INTERACTIVE).waiting() == 0);
		assertThat(slowLoad(WorkloadClass.INTERACTIVE).running()).isEqualTo(1);

		assertThat(holder.join().statusCode()).isEqualTo(200);
		await().until(() -> capacity("slow").load().running() == 0);
		assertThat(slow.completions.get()).isEqualTo(before + 1);
		// The one that left never ran: its reservation is released, and it is not billed as a request.
		await().until(() -> plans.usage(person).heldTokens() == 0);
		assertThat(plans.usage(person).requests()).isEqualTo(1);
		assertThat(prometheus()).containsPattern(
				"familiar_queue_refused_total\\{backend=\"slow\",reason=\"caller_gone\",workload=\"interactive\"} [1-9]");
	}

	@Test
	void aClientThatDisconnectsMidStreamFreesTheSlot() throws Exception {
		var token = token(WorkloadClass.INTERACTIVE);
		int cancelled = slow.cancelled.get();
		try (var socket = rawRequest(token, true)) {
			var in = socket.getInputStream();
			assertThat(readUntil(in, "data: ")).contains("200");
			assertThat(slowLoad(WorkloadClass.INTERACTIVE).running()).isEqualTo(1);
		}
		await().atMost(Duration.ofSeconds(3)).until(() -> capacity("slow").load().running() == 0);
		await().until(() -> slow.cancelled.get() == cancelled + 1);
	}

	@Test
	void aBackendDyingMidStreamEndsTheStreamWithAnErrorAndFreesTheSlot() throws Exception {
		var body = "{\"model\":\"slow-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"[fail-mid] a b c d e f\"}]}";
		var response = http.send(post(token(WorkloadClass.INTERACTIVE), body), HttpResponse.BodyHandlers.ofString());

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.body()).contains("\"content\":\"Hello!\"").contains("\"code\":\"backend_error\"")
			.doesNotContain("[DONE]");
		await().atMost(Duration.ofSeconds(2)).until(() -> capacity("slow").load().running() == 0);
		assertThat(prometheus()).containsPattern("familiar_backend_errors_total\\{backend=\"slow\",kind=\"failed\"} [1-9]");
	}

	@Test
	void anAliasRoutesToItsModelsAndIsListed() {
		var openai = client(token(WorkloadClass.INTERACTIVE));
		assertThat(openai.models().list().data()).anySatisfy(model -> assertThat(model.id()).isEqualTo("default"));

		var reply = openai.chat().completions().create(ask("default", "who answers?"));

		assertThat(reply.choices().get(0).message().content()).hasValue("Hello! You said: who answers?");
	}

	@Test
	void exportsCapacityMetricsPerBackendAndClass() throws Exception {
		client(token(WorkloadClass.RESEARCH)).chat().completions().create(ask("slow-model", "measure me"));

		assertThat(prometheus()).contains("familiar_capacity_slots{backend=\"slow\"} 1.0")
			.containsPattern("familiar_capacity_in_flight\\{backend=\"slow\",workload=\"research\"} 0\\.0")
			.containsPattern("familiar_capacity_queued\\{backend=\"slow\",workload=\"research\"} 0\\.0")
			.containsPattern("familiar_queue_wait_seconds_count\\{backend=\"slow\",workload=\"research\"} [1-9]")
			.containsPattern("familiar_capacity_slot_seconds_total\\{backend=\"slow\",workload=\"research\"} 0\\.[1-9]")
			.containsPattern("familiar_tokens_total\\{backend=\"slow\",kind=\"completion\",workload=\"research\"} [1-9]");
	}

	private Socket rawRequest(String token, boolean stream) throws IOException {
		var body = "{\"model\":\"slow-model\",\"stream\":" + stream
				+ ",\"messages\":[{\"role\":\"user\",\"content\":\"one two three four five six seven eight nine ten\"}]}";
		var socket = new Socket("localhost", port);
		var request = "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
				+ "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
				+ "\r\n\r\n" + body;
		socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
		socket.getOutputStream().flush();
		return socket;
	}

	private static String readUntil(InputStream in, String marker) throws IOException {
		var seen = new StringBuilder();
		int c;
		while ((c = in.read()) >= 0) {
			seen.append((char) c);
			if (seen.indexOf(marker) >= 0) {
				break;
			}
		}
		return seen.toString();
	}

	private String prometheus() throws IOException, InterruptedException {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/prometheus")).build(),
				HttpResponse.BodyHandlers.ofString()).body();
	}
}
