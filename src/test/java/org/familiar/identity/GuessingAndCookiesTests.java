package org.familiar.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.familiar.compute.WorkloadClass;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.Test;

/**
 * Password and token guessing through the real login form and API, clients told apart by a
 * proxy's X-Forwarded-For (trusted from loopback); and the cookies a browser gets: none before it
 * signs in but the CSRF token's, Secure ones behind a TLS proxy.
 */
class GuessingAndCookiesTests extends RunningFamiliar {

	static final String ATTACKER = "203.0.113.5";

	static final String HOME = "198.51.100.7";

	@Test
	void guessingPasswordsIsSlowedDownAndThePersonHearsOfItWithoutBeingLockedOut() {
		identity.addPerson("grace", "correct horse", false, null);
		var attacker = new WebSession(port, "X-Forwarded-For", ATTACKER);
		for (int i = 0; i < 5; i++) {
			assertThat(WebSession.location(login(attacker, "grace", "wrong " + i))).endsWith("/login?error");
		}
		// Now even the right password is refused without being checked, and the page says how long to wait.
		var refused = WebSession.location(login(attacker, "grace", "correct horse"));
		assertThat(refused).matches(".*/login\\?throttled=1[12]$");
		assertThat(attacker.get(refused).body()).contains("Too many failed sign-ins").contains("seconds, then try again");

		var grace = new WebSession(port, "X-Forwarded-For", HOME);
		var signedIn = login(grace, "grace", "correct horse");
		assertThat(WebSession.location(signedIn)).endsWith("/chat");
		var first = grace.get("/chat").body();
		assertThat(first).contains("5 failed sign-in attempts on your account since you last signed in")
			.contains("the latest from " + ATTACKER);
		assertThat(grace.get("/chat").body()).as("shown once").doesNotContain("failed sign-in attempts");
	}

	@Test
	void guessingTokensIsAnsweredWith429AndRetryAfter() throws Exception {
		var person = identity.addPerson("tokens", "correct horse", false, null);
		var token = identity.issueToken(person.id(), "ok", WorkloadClass.APP).secret();
		HttpResponse<String> last = null;
		for (int i = 0; i < 31; i++) {
			last = models("fam_guess" + i, ATTACKER);
		}
		assertThat(last.statusCode()).isEqualTo(429);
		assertThat(last.headers().firstValue("Retry-After").map(Long::parseLong).orElseThrow()).isBetween(1L, 2L);
		assertThat(last.body()).contains("\"code\":\"too_many_invalid_tokens\"").contains("invalid access tokens");
		assertThat(models(token, ATTACKER).statusCode()).as("the address waits, whatever it sends").isEqualTo(429);
		assertThat(models(token, HOME).statusCode()).isEqualTo(200);
		var api = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/usage"))
			.header("Authorization", "Bearer fam_guess").header("X-Forwarded-For", ATTACKER).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(api.statusCode()).isEqualTo(429);
		assertThat(api.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
	}

	@Test
	void noSessionBeforeSignInAndSecureCookiesBehindTls() throws Exception {
		var visitor = new WebSession(port);
		assertThat(visitor.get("/login").statusCode()).isEqualTo(200);
		assertThat(WebSession.location(visitor.get("/chat"))).endsWith("/login");
		assertThat(visitor.cookies()).extracting(java.net.HttpCookie::getName).doesNotContain("JSESSIONID");

		identity.addPerson("tls", "correct horse", false, null);
		// Behind a TLS proxy (which the JDK's cookie store cannot play: it keeps Secure cookies for https).
		var http = HttpClient.newHttpClient();
		var page = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/login"))
			.header("X-Forwarded-Proto", "https").build(), HttpResponse.BodyHandlers.ofString());
		var csrfCookie = page.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("XSRF-TOKEN=")).findFirst()
			.orElseThrow();
		assertThat(csrfCookie).contains("Secure").contains("HttpOnly").contains("SameSite=Lax");
		var form = "_csrf=" + WebSession.csrf(page.body()) + "&username=tls&password=correct+horse";
		var signedIn = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/login"))
			.header("X-Forwarded-Proto", "https")
			.header("Cookie", csrfCookie.substring(0, csrfCookie.indexOf(';')))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(form))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(WebSession.location(signedIn)).startsWith("https://");
		assertThat(signedIn.headers().allValues("Set-Cookie")).anyMatch(cookie -> cookie.startsWith("JSESSIONID="))
			.allMatch(cookie -> cookie.contains("Secure"));
	}

	private static HttpResponse<String> login(WebSession browser, String username, String password) {
		var page = browser.get("/login");
		return browser.post("/login", "_csrf", WebSession.csrf(page.body()), "username", username, "password", password);
	}

	private HttpResponse<String> models(String token, String from) throws Exception {
		return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/models"))
			.header("Authorization", "Bearer " + token).header("X-Forwarded-For", from).build(),
				HttpResponse.BodyHandlers.ofString());
	}
}
