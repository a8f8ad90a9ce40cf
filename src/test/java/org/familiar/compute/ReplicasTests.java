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

	private int a;

	private int b;

	private Process replicaA;

	@BeforeEach
	void twoReplicas() throws Exception {
		backend = new FakeModelServer(0, 150);
		familiar.cli("a long password\n", "user", "add", "ada", "--password-stdin");
		a = FamiliarProcesses.freePort();
		b = FamiliarProcesses.freePort();
		replicaA = familiar.replica("replica-a", a, backend);
		familiar.replica("replica-b", b, backend);
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
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(
					"{\"model\":\"fake-model\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
			.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
	}

	private JsonNode usage(int port, String token) throws Exception {
		var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/usage"))
			.header("Authorization", "Bearer " + token)
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isEqualTo(200);
		return json.readTree(response.body());
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
	void theReservationsOfAKilledReplicaAreSettledByTheOtherOnceItsLeaseRunsOut() throws Exception {
		var token = familiar.cli("", "token", "create", "ada");
		FamiliarProcesses.replyStarted(http, a, token);
		assertThat(usage(b, token).path("held_tokens").asLong()).as("held, seen from the other replica").isPositive();

		FamiliarProcesses.kill(replicaA);
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
			.until(() -> usage(b, token).path("held_tokens").asLong() == 0);
		var after = usage(b, token);
		assertThat(after.path("used_tokens").asLong()).as("what was generated is not known: not charged").isZero();
		assertThat(after.path("requests").asLong()).isEqualTo(1);
	}
}
