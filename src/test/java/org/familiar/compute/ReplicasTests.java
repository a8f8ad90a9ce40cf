package org.familiar.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.FamiliarProcesses;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * Two replicas as real processes on one PostgreSQL database and one Redis, requests spread over
 * both as a load balancer without sticky sessions would: a browser signed in on one is signed in
 * on the other (its session, flash messages included, lives in Redis), a token revoked on one is
 * refused by the other within a second, and the reservations of a replica killed with SIGKILL
 * are settled by the survivor once its lease runs out. Runs in CI's PostgreSQL-and-Redis stage.
 */
@EnabledIf("org.familiar.compute.ReplicasTests#sharedServices")
class ReplicasTests {

	static boolean sharedServices() {
		return TestHome.postgres() && TestHome.redis();
	}

	private final FamiliarProcesses familiar = new FamiliarProcesses("replica-test");

	private final ObjectMapper json = new ObjectMapper();

	/** One browser: its cookies go to both replicas (the same host), it follows no redirect by itself. */
	private final HttpClient browser = HttpClient.newBuilder()
		.cookieHandler(new CookieManager())
		.followRedirects(HttpClient.Redirect.NEVER)
		.build();

	private final HttpClient http = HttpClient.newHttpClient();

	private FakeModelServer backend;

	private static final int SLOTS = 4;

	/** Both replicas: the backend has 4 slots; a small plan; a breaker that opens after 4 calls, half failed. */
	private static final String[] SETTINGS = { "--familiar.backends.fake.max-concurrent=" + SLOTS,
			"--familiar.plans.small.token-budget=2000", "--familiar.breaker.minimum-calls=4", "--familiar.breaker.window=4",
			"--familiar.breaker.cooldown=PT2M" };

	private int a;

	private int b;

	private Process replicaA;

	@BeforeEach
	void twoReplicas() throws Exception {
		backend = new FakeModelServer(0, 150);
		familiar.cli("a long password\n", "user", "add", "ada", "--password-stdin");
		a = FamiliarProcesses.freePort();
		b = FamiliarProcesses.freePort();
		replicaA = familiar.replica("replica-a", a, backend, SETTINGS);
		familiar.replica("replica-b", b, backend, SETTINGS);
	}

	@AfterEach
	void stop() {
		familiar.close();
		backend.close();
	}

	private HttpResponse<String> get(int port, String path) throws Exception {
		return browser.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

	/** Posts a form as the page {@code from} (on the same replica) would, with its CSRF token. */
	private HttpResponse<String> post(int port, String from, String path, String form) throws Exception {
		var page = get(port, from).body();
		var csrf = Pattern.compile("name=\"_csrf\" (?:value|content)=\"([^\"]+)\"").matcher(page);
		assertThat(csrf.find()).as("a CSRF token on the page").isTrue();
		return browser.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(form + "&_csrf=" + URLEncoder.encode(csrf.group(1), StandardCharsets.UTF_8)))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	private int chat(int port, String token) throws Exception {
		return chat(port, token, "hi", 5).statusCode();
	}

	private HttpResponse<String> chat(int port, String token, String text, int maxTokens) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fake-model\",\"max_tokens\":" + maxTokens
					+ ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}"))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	private JsonNode usage(int port, String token) throws Exception {
		return FamiliarProcesses.usage(http, port, token);
	}

	@Test
	void aSignInOnOneIsASignInOnTheOtherAndARevokedTokenStopsOnBothWithinASecond() throws Exception {
		assertThat(get(b, "/settings/tokens").statusCode()).as("not signed in yet").isEqualTo(302);
		var signIn = post(a, "/login", "/login", "username=ada&password=a+long+password");
		assertThat(signIn.statusCode()).isEqualTo(302);
		assertThat(signIn.headers().firstValue("Location")).hasValueSatisfying(to -> assertThat(to).doesNotContain("error"));
		assertThat(get(b, "/settings/tokens").statusCode()).as("signed in on the other replica").isEqualTo(200);

		// A token made on A: the page that shows its secret once (a flash message in the session) is served by B.
		var made = post(a, "/settings/tokens", "/settings/tokens", "label=laptop&workload=interactive");
		assertThat(made.statusCode()).isEqualTo(302);
		var page = get(b, "/settings/tokens").body();
		var secret = Pattern.compile("(fam_[A-Za-z0-9_-]{20,})").matcher(page);
		assertThat(secret.find()).as("the new token's secret, on the other replica").isTrue();
		var token = secret.group(1);
		var revoke = Pattern.compile("/settings/tokens/([0-9a-f-]{36})/revoke").matcher(page);
		assertThat(revoke.find()).isTrue();

		assertThat(chat(b, token)).isEqualTo(200); // B knows (and caches) the token now
		assertThat(post(a, "/settings/tokens", "/settings/tokens/" + revoke.group(1) + "/revoke", "").statusCode()).isEqualTo(302);
		await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50)).until(() -> chat(b, token) == 401);
		assertThat(chat(a, token)).isEqualTo(401);
	}

	@Test
	void theSlotsOfAKilledReplicaFreeWithinTenSecondsAndItsReservationsAreSettledByTheOther() throws Exception {
		var token = familiar.cli("", "token", "create", "ada");
		familiar.cli("another long password\n", "user", "add", "bea", "--password-stdin");
		var other = familiar.cli("", "token", "create", "bea");
		// Replies of 200 tokens at 150 ms each: half a minute, so none of A's ends before it is killed.
		backend.script = request -> "Hello! " + "word ".repeat(300).strip();
		for (int i = 0; i < SLOTS; i++) {
			FamiliarProcesses.replyStarted(http, a, token, FamiliarProcesses.LONG_STREAM.replace("\"max_tokens\":50", "\"max_tokens\":200"));
		}
		assertThat(usage(b, token).path("held_tokens").asLong()).as("held, seen from the other replica").isPositive();
		var waiting = http.sendAsync(HttpRequest.newBuilder(URI.create("http://localhost:" + b + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + other)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(
					"{\"model\":\"fake-model\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"next\"}]}"))
			.build(), HttpResponse.BodyHandlers.ofString());
		await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> !waiting.isDone());
		assertThat(backend.inFlight.get()).as("all the backend's slots are A's").isEqualTo(SLOTS);

		FamiliarProcesses.kill(replicaA);
		long killed = System.nanoTime();
		assertThat(waiting.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
		var answered = backend.answered.stream().filter(done -> done.body().contains("next")).findFirst().orElseThrow();
		System.out.printf("B's request got its slot %d ms after A was killed%n", (answered.began() - killed) / 1_000_000);
		assertThat(Duration.ofNanos(answered.began() - killed)).as("B's request got a slot within 10 s of the kill")
			.isLessThan(Duration.ofSeconds(10));

		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
			.until(() -> usage(b, token).path("held_tokens").asLong() == 0);
		var after = usage(b, token);
		assertThat(after.path("used_tokens").asLong()).as("what was generated is not known: not charged").isZero();
		assertThat(after.path("requests").asLong()).isEqualTo(SLOTS);
	}

	@Test
	void aBackendsSlotsAndClassSharesHoldAcrossReplicas() throws Exception {
		var interactive = familiar.cli("", "token", "create", "ada", "--workload", "interactive");
		var batch = familiar.cli("", "token", "create", "ada", "--workload", "batch");
		// Interactive requests only reach A and batch requests only B: a share of 3 to 1 (the default
		// policy) can only come out if both replicas hand out the same four slots.
		long until = System.nanoTime() + Duration.ofSeconds(14).toNanos();
		var failures = new java.util.concurrent.atomic.AtomicInteger();
		try (var clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
			for (int i = 0; i < 8; i++) {
				clients.submit(() -> load(a, interactive, "[interactive]", until, failures));
				clients.submit(() -> load(b, batch, "[batch]", until, failures));
			}
		}
		assertThat(failures.get()).as("requests that did not get a 200").isZero();
		assertThat(backend.mostInFlight.get()).as("the most requests the backend saw at once").isEqualTo(SLOTS);

		// Completions between the fourth and the thirteenth second, when both classes kept their queues full.
		long from = until - Duration.ofSeconds(10).toNanos();
		long to = until - Duration.ofSeconds(1).toNanos();
		var window = backend.answered.stream().filter(done -> done.ended() >= from && done.ended() < to).toList();
		double slotTime = window.stream().mapToLong(done -> done.ended() - done.began()).sum();
		double interactiveTime = window.stream().filter(done -> done.body().contains("[interactive]"))
			.mapToLong(done -> done.ended() - done.began()).sum();
		double share = interactiveTime / slotTime;
		System.out.printf("interactive share of slot-time across replicas: %.3f (policy 0.750) over %d requests%n", share,
				window.size());
		assertThat(window).hasSizeGreaterThan(100);
		assertThat(share).isCloseTo(0.75, org.assertj.core.api.Assertions.within(0.05));
	}

	private Void load(int port, String token, String tag, long until, java.util.concurrent.atomic.AtomicInteger failures)
			throws Exception {
		while (System.nanoTime() < until) {
			if (chat(port, token, tag + " go", 1).statusCode() != 200) {
				failures.incrementAndGet();
			}
		}
		return null;
	}

	@Test
	void aBudgetIsNeverOverspentAcrossReplicas() throws Exception {
		familiar.cli("another long password\n", "user", "add", "bea", "--password-stdin", "--plan", "small",
				"--familiar.plans.small.token-budget=2000");
		var token = familiar.cli("", "token", "create", "bea");
		var statuses = new java.util.concurrent.ConcurrentLinkedQueue<Integer>();
		try (var clients = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
			for (int i = 0; i < 40; i++) {
				int port = i % 2 == 0 ? a : b;
				clients.submit(() -> statuses.add(chat(port, token, "count the words in this sentence please", 100).statusCode()));
			}
		}
		assertThat(statuses).contains(200, 429).containsOnly(200, 429);
		// Settlements are written just after the reply leaves (batched): wait for the last of them.
		await().atMost(Duration.ofSeconds(10)).until(() -> usage(a, token).path("held_tokens").asLong() == 0);
		var used = usage(a, token);
		assertThat(used.path("used_tokens").asLong()).as("used of a budget of 2,000").isPositive().isLessThanOrEqualTo(2000);
	}

	@Test
	void anOAuthCodeFlowStartedOnOneFinishesOnTheOther() throws Exception {
		var callback = "http://localhost:9/callback";
		var registered = familiar.cli("", "app", "add", "Recipe Box", "--redirect-uri", callback, "--public");
		var clientId = registered.lines().filter(line -> line.startsWith("client_id: ")).findFirst().orElseThrow()
			.substring("client_id: ".length());
		var verifier = "a-code-verifier-that-is-long-enough-for-pkce-0123456789";
		var challenge = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
				java.security.MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII)));
		var session = new org.familiar.testing.WebSession(a);

		var toLogin = session.get("/oauth2/authorize?response_type=code&client_id=" + clientId + "&redirect_uri="
				+ URLEncoder.encode(callback, StandardCharsets.UTF_8) + "&scope=openid%20familiar.assistant&state=s1"
				+ "&code_challenge=" + challenge + "&code_challenge_method=S256");
		assertThat(org.familiar.testing.WebSession.location(toLogin)).endsWith("/login");
		var login = session.get(on(b, "/login"));
		var back = org.familiar.testing.WebSession.location(session.post(on(b, "/login"), "_csrf",
				org.familiar.testing.WebSession.csrf(login.body()), "username", "ada", "password", "a long password"));
		assertThat(back).as("the login on B knows the request A saved").contains("/oauth2/authorize");
		var consentUrl = org.familiar.testing.WebSession.location(session.get(on(b, back)));
		assertThat(consentUrl).contains("/oauth2/consent");
		var page = session.get(on(a, consentUrl)).body();
		var done = session.post(on(b, "/oauth2/authorize"), "client_id", clientId, "state",
				org.familiar.testing.WebSession.field(page, "state"), "familiar_cap", "", "_csrf",
				org.familiar.testing.WebSession.csrf(page), "scope", "familiar.assistant");
		var redirect = org.familiar.testing.WebSession.location(done);
		assertThat(redirect).startsWith(callback).contains("state=s1");
		var code = java.util.regex.Pattern.compile("code=([^&]+)").matcher(redirect);
		assertThat(code.find()).isTrue();

		var tokens = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + a + "/oauth2/token"))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString("grant_type=authorization_code&code=" + code.group(1) + "&redirect_uri="
					+ URLEncoder.encode(callback, StandardCharsets.UTF_8) + "&client_id=" + clientId + "&code_verifier=" + verifier))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(tokens.statusCode()).as(tokens.body()).isEqualTo(200);
		var accessToken = json.readTree(tokens.body()).path("access_token").asText();
		assertThat(chat(b, accessToken)).as("the app's token works on the other replica").isEqualTo(200);
	}

	/** The same address on the other replica's port. */
	private static String on(int port, String pathOrUrl) {
		return "http://localhost:" + port + pathOrUrl.replaceFirst("^https?://[^/]+", "");
	}

	@Test
	void aBreakerThatOpensOnOneReplicaOpensOnTheOther() throws Exception {
		var token = familiar.cli("", "token", "create", "ada");
		for (int i = 0; i < 4; i++) {
			assertThat(chat(a, token, FakeModelServer.FAIL, 5).statusCode()).isGreaterThanOrEqualTo(500);
		}
		// B's own requests all succeed, so only A's report can open B's breaker.
		await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(50))
			.until(() -> chat(b, token, "hi", 5).statusCode() == 503);
		int reached = backend.completions.get();
		assertThat(chat(b, token, "hi", 5).body()).contains("kept failing");
		assertThat(backend.completions.get()).as("B no longer tries the backend A found failing").isEqualTo(reached);
	}
}
