package org.familiar.plans;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.PersonId;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Plans and the ledger end to end over HTTP: a thousand concurrent requests against a small
 * budget, quota and plan refusals before any backend work, and the usage API. Runs on H2 and, in
 * CI, on PostgreSQL.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class QuotaAndLedgerTests {

	static FakeModelServer backend;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = FakeModelServer.serve(registry, "fake", 0);
		registry.add("familiar.backends.fake.max-concurrent", () -> "64");
		registry.add("familiar.embedded.enabled", () -> "false");
		// 100 reservations of a 26-token request (16 for the prompt "hi", 10 for the reply).
		registry.add("familiar.plans.tight.token-budget", () -> "2600");
		registry.add("familiar.plans.tight.window", () -> "P1D");
		registry.add("familiar.plans.small.token-budget", () -> "60");
		registry.add("familiar.plans.narrow.models", () -> "some-other-model");
		registry.add("familiar.plans.narrow.token-budget", () -> "100000");
		registry.add("familiar.node", () -> "test-node");
		registry.add("familiar.aliases.mini", () -> "fake-model");
		registry.add("familiar.plans.frugal.token-budget", () -> "20");
		registry.add("familiar.plans.frugal.fallback-model", () -> "mini");
		registry.add("familiar.plans.open.token-budget", () -> "0");
	}

	@AfterAll
	static void stopBackend() {
		backend.close();
	}

	@LocalServerPort
	int port;

	@Autowired
	IdentityManagement identity;

	@Autowired
	PlansManagement plans;

	@Autowired
	UsageLedger ledger;

	@Autowired
	MediaLedger media;

	@Autowired
	org.familiar.compute.Replicas replicas;

	private final HttpClient http = HttpClient.newBuilder()
		.executor(Executors.newVirtualThreadPerTaskExecutor())
		.build();

	private final ObjectMapper json = new ObjectMapper();

	private PersonId person(String plan) {
		return identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, plan).id();
	}

	private HttpRequest ask(String token, String content) {
		var body = "{\"model\":\"fake-model\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
		return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build();
	}

	@Test
	void mediaReservedByARunThatCrashedIsSettledAtZeroOnceAndFreesThePlan() {
		var person = person(null);
		var crashedAt = replicas.started().minusSeconds(60);
		media.reserve("img-crashed-" + UUID.randomUUID(), person.value(), MediaUnit.IMAGES, "stand-in-image", 3, 100,
				Duration.ofDays(30), crashedAt, replicas.node());
		media.reserve("video_crashed-" + UUID.randomUUID(), person.value(), MediaUnit.VIDEO_SECONDS, "stand-in-video", 8, 60,
				Duration.ofDays(30), crashedAt, replicas.node());
		assertThat(plans.mediaUsage(person).imagesHeld()).isEqualTo(3);
		assertThat(plans.mediaUsage(person).videoSecondsHeld()).isEqualTo(8);

		plans.reconcile();
		plans.reconcile();
		var after = plans.mediaUsage(person);
		assertThat(after.imagesHeld() + after.videoSecondsHeld()).isZero();
		assertThat(after.images() + after.videoSeconds()).as("nothing charged: what was made is not known").isZero();
		assertThat(media.unsettled(replicas.node(), replicas.started())).isEmpty();
	}

	@Test
	void aThousandConcurrentRequestsNeverSpendMoreThanTheBudget() throws Exception {
		var person = person("tight");
		var token = identity.issueToken(person, "flood", WorkloadClass.RESEARCH).secret();
		var served = new AtomicLong();
		var servedTokens = new AtomicLong();
		var refused = new AtomicLong();
		var other = new ArrayList<String>();
		try (var clients = Executors.newVirtualThreadPerTaskExecutor()) {
			var replies = new ArrayList<Future<HttpResponse<String>>>();
			for (int i = 0; i < 1000; i++) {
				replies.add(clients.submit(() -> http.send(ask(token, "hi"), HttpResponse.BodyHandlers.ofString())));
			}
			for (var reply : replies) {
				var response = reply.get();
				JsonNode body = json.readTree(response.body());
				if (response.statusCode() == 200) {
					served.incrementAndGet();
					servedTokens.addAndGet(body.path("usage").path("total_tokens").asLong());
				}
				else if (response.statusCode() == 429 && body.path("error").path("code").asText().equals("insufficient_quota")) {
					refused.incrementAndGet();
				}
				else {
					other.add(response.statusCode() + " " + response.body());
				}
			}
		}
		assertThat(other).isEmpty();
		assertThat(served.get() + refused.get()).isEqualTo(1000);
		// At worst every request holds its full bound at once: "hi" is 2 bytes + 16 of framing, plus
		// max_tokens 10, so at least 2600 / 28 requests fit however the settlements interleave.
		assertThat(served.get()).isGreaterThanOrEqualTo(2600 / 28);
		assertThat(refused.get()).isPositive();

		await().atMost(Duration.ofSeconds(20)).until(() -> plans.usage(person).heldTokens() == 0);
		var usage = plans.usage(person);
		System.out.printf("ledger: %d served, %d refused; charged %d of a 2600-token budget%n", served.get(),
				refused.get(), usage.usedTokens());
		assertThat(usage.usedTokens()).isLessThanOrEqualTo(2600).isEqualTo(servedTokens.get());
		assertThat(usage.requests()).isEqualTo(served.get());
	}

	/**
	 * An unlimited plan's holds are not waited for (nothing can refuse them): they are written with
	 * the next batch, before their settlements, so every request still ends as one settled entry
	 * that records its hold and the backend's usage, and nothing stays held.
	 */
	@Test
	void holdsNobodyWaitsForAreStillWrittenAndSettledOnceEach() throws Exception {
		var person = person("open");
		var token = identity.issueToken(person, "flood", WorkloadClass.INTERACTIVE).secret();
		var reported = new AtomicLong();
		try (var clients = Executors.newVirtualThreadPerTaskExecutor()) {
			var replies = new ArrayList<Future<HttpResponse<String>>>();
			// 120: within the backend's 64 slots plus the interactive queue's 100, so none is refused.
			for (int i = 0; i < 120; i++) {
				replies.add(clients.submit(() -> http.send(ask(token, "hi"), HttpResponse.BodyHandlers.ofString())));
			}
			for (var reply : replies) {
				var response = reply.get();
				assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
				reported.addAndGet(json.readTree(response.body()).path("usage").path("total_tokens").asLong());
			}
		}
		await().atMost(Duration.ofSeconds(20)).until(() -> plans.usage(person).requests() == 120);
		assertThat(plans.usage(person).heldTokens()).isZero();
		assertThat(plans.usage(person).usedTokens()).isEqualTo(reported.get());
		var entries = ledger.settled(person.value(), Instant.EPOCH);
		assertThat(entries).hasSize(120).allSatisfy(entry -> {
			assertThat(entry.outcome()).isEqualTo("completed");
			assertThat(entry.reserved()).isGreaterThanOrEqualTo(entry.charged()).isPositive();
		});
		assertThat(entries.stream().map(UsageLedger.Settled::requestId).distinct()).hasSize(120);
		assertThat(entries.stream().mapToLong(UsageLedger.Settled::charged).sum()).isEqualTo(reported.get());
	}

	@Test
	void anExhaustedBudgetGets429BeforeAnyBackendWork() throws Exception {
		var person = person("small");
		var openai = OpenAIOkHttpClient.builder()
			.baseUrl("http://localhost:" + port + "/v1")
			.apiKey(identity.issueToken(person, "t", WorkloadClass.INTERACTIVE).secret())
			.maxRetries(0)
			.build();
		var params = ChatCompletionCreateParams.builder().model("fake-model").maxTokens(10).addUserMessage("hi").build();
		int calls = backend.completions.get();

		// Each request reserves 26 tokens and is charged 7: with 60, five fit (5 x 7 + 26 > 60 after that).
		for (int i = 0; i < 5; i++) {
			openai.chat().completions().create(params);
			await().until(() -> plans.usage(person).heldTokens() == 0);
		}
		assertThat(plans.usage(person).usedTokens()).isEqualTo(35);
		assertThatThrownBy(() -> openai.chat().completions().create(params))
			.isInstanceOfSatisfying(RateLimitException.class, ex -> {
				assertThat(ex.code()).hasValue("insufficient_quota");
				assertThat(ex.getMessage()).contains("Your plan 'small' has 25 of its 60 tokens left")
					.contains("frees up from");
				assertThat(ex.headers().values("Retry-After")).isNotEmpty();
			});
		assertThat(backend.completions.get()).isEqualTo(calls + 5);
		assertThat(plans.usage(person).requests()).isEqualTo(5);
	}

	@Test
	void aModelOutsideThePlanGets403BeforeAnyBackendWork() {
		var person = person("narrow");
		var openai = OpenAIOkHttpClient.builder()
			.baseUrl("http://localhost:" + port + "/v1")
			.apiKey(identity.issueToken(person, "t", WorkloadClass.INTERACTIVE).secret())
			.maxRetries(0)
			.build();
		int calls = backend.completions.get();

		assertThatThrownBy(() -> openai.chat().completions()
			.create(ChatCompletionCreateParams.builder().model("fake-model").addUserMessage("hi").build()))
			.isInstanceOfSatisfying(PermissionDeniedException.class, ex -> {
				assertThat(ex.code()).hasValue("not_in_plan");
				assertThat(ex.getMessage()).contains("does not include the model 'fake-model'");
			});
		assertThat(backend.completions.get()).isEqualTo(calls);
	}

	@Test
	void aReservationLeftByACrashIsSettledOnceAtStartAndNeverTwice() {
		var person = person("small");
		var crashedAt = Instant.now().minus(Duration.ofMinutes(5));
		// What a run killed mid-reply leaves behind: a reservation and its hold, no settlement.
		ledger.reserve(new UsageLedger.Hold("chatcmpl-crashed", person.value(), null, "fake-model", "interactive", 26,
				"test-node"), 60, Duration.ofDays(30), crashedAt);
		assertThat(plans.usage(person).heldTokens()).isEqualTo(26);
		assertThat(plans.usage(person).remainingTokens()).isEqualTo(34);

		plans.reconcile();
		plans.reconcile();

		var usage = plans.usage(person);
		assertThat(usage.heldTokens()).isZero();
		assertThat(usage.usedTokens()).isZero();
		assertThat(usage.requests()).isEqualTo(1);
		assertThat(usage.remainingTokens()).isEqualTo(60);
		assertThat(ledger.settle(new UsageLedger.Settlement("chatcmpl-crashed", "fake", 10, 10, 0.01, "completed", "test-node"),
				Instant.now())).as("a late settlement of a reconciled request").isFalse();
		assertThat(plans.usage(person).usedTokens()).isZero();
	}

	@Test
	void aSpentBudgetMovesRequestsToTheFallbackModelFreeOfCharge() throws Exception {
		var person = person("frugal");
		var token = identity.issueToken(person, "t", WorkloadClass.INTERACTIVE).secret();

		var response = http.send(ask(token, "hi"), HttpResponse.BodyHandlers.ofString());

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(json.readTree(response.body()).path("model").asText()).isEqualTo("mini");
		await().until(() -> plans.usage(person).heldTokens() == 0 && plans.usage(person).requests() == 1);
		assertThat(plans.usage(person).usedTokens()).isZero();
		var recorded = plans.report(person).requests().get(0);
		assertThat(recorded.model()).isEqualTo("mini");
		assertThat(recorded.promptTokens() + recorded.completionTokens()).isEqualTo(7);
	}

	@Test
	void anAppOverItsCapIsRefusedWhileOtherAppsCarryOn() throws Exception {
		var person = person(null);
		var capped = identity.issueToken(person, "capped app", WorkloadClass.APP);
		var other = identity.issueToken(person, "other app", WorkloadClass.APP).secret();
		plans.capApp(person, capped.token().id().value(), 30L);

		assertThat(http.send(ask(capped.secret(), "hi"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
		await().until(() -> plans.usage(person).heldTokens() == 0);
		// 7 used + 26 reserved > 30
		var refused = http.send(ask(capped.secret(), "hi"), HttpResponse.BodyHandlers.ofString());
		assertThat(refused.statusCode()).isEqualTo(429);
		assertThat(json.readTree(refused.body()).path("error").path("code").asText()).isEqualTo("insufficient_quota");
		assertThat(refused.body()).contains("You capped what this app may spend at 30 tokens");
		assertThat(http.send(ask(other, "hi"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

		plans.capApp(person, capped.token().id().value(), null);
		assertThat(http.send(ask(capped.secret(), "hi"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
		await().until(() -> plans.usage(person).heldTokens() == 0);
		var sources = plans.report(person).sources();
		assertThat(sources).anySatisfy(s -> {
			assertThat(s.name()).isEqualTo("capped app");
			assertThat(s.requests()).isEqualTo(2);
			assertThat(s.cap()).isNull();
		});
	}

	@Test
	void aChangedPlanOrOwnBudgetAppliesToTheNextRequest() throws Exception {
		var person = person("narrow");
		assertThat(plans.usage(person).plan()).isEqualTo("narrow");

		identity.changePlan(person, "small");
		assertThat(plans.usage(person).plan()).isEqualTo("small");
		identity.changePlan(person, " ");
		assertThat(plans.usage(person).plan()).isEqualTo("default");
		assertThat(plans.usage(person).tokenBudget()).isEqualTo(1_000_000);

		plans.overrideBudget(person, 5L);
		assertThat(plans.usage(person).plan()).isEqualTo("default");
		assertThat(plans.usage(person).ownBudget()).isTrue();
		assertThat(plans.usage(person).tokenBudget()).isEqualTo(5);
		var token = identity.issueToken(person, "t", WorkloadClass.INTERACTIVE).secret();
		assertThat(http.send(ask(token, "hi"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(429);
		plans.overrideBudget(person, null);
		assertThat(plans.usage(person).tokenBudget()).isEqualTo(1_000_000);
	}

	@Test
	void theUsageApiReportsTheCurrentWindow() throws Exception {
		var person = person("small");
		var token = identity.issueToken(person, "t", WorkloadClass.INTERACTIVE).secret();
		assertThat(http.send(ask(token, "hello"), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
		await().until(() -> plans.usage(person).heldTokens() == 0);

		var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/usage"))
			.header("Authorization", "Bearer " + token)
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		var usage = json.readTree(response.body());
		assertThat(usage.path("plan").asText()).isEqualTo("small");
		assertThat(usage.path("window").asText()).isEqualTo("PT720H");
		assertThat(usage.path("token_budget").asLong()).isEqualTo(60);
		assertThat(usage.path("used_tokens").asLong()).isEqualTo(8);
		assertThat(usage.path("remaining_tokens").asLong()).isEqualTo(52);
		assertThat(usage.path("requests").asLong()).isEqualTo(1);
		// The default for a GPU backend: 0.2 J a prompt token, 2 J a generated one.
		assertThat(usage.path("energy_wh").asDouble()).isCloseTo((4 * 0.2 + 4 * 2.0) / 3600, org.assertj.core.api.Assertions.within(1e-9));

		var anonymous = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/usage")).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(anonymous.statusCode()).isEqualTo(401);
	}
}
