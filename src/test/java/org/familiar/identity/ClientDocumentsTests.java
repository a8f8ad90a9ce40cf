package org.familiar.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.oauth2.sdk.pkce.CodeChallenge;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.TestPropertySource;

/**
 * Client ID metadata documents: an app whose client_id is the URL of its metadata signs a person
 * in without registering, and documents Familiar must not use are refused. The app's site here is
 * a stand-in on 127.0.0.1, which {@code allow-loopback-http} (tests only) lets in over http;
 * {@code McpServerTests} shows that without it a private address is refused.
 */
@TestPropertySource(properties = "familiar.identity.client-documents.allow-loopback-http=true")
class ClientDocumentsTests extends RunningFamiliar {

	private static final String CALLBACK = "http://127.0.0.1:9/callback";

	static HttpServer site;

	static final Map<String, String> documents = new ConcurrentHashMap<>();

	static final java.util.concurrent.atomic.AtomicInteger fetches = new java.util.concurrent.atomic.AtomicInteger();

	@Autowired
	JdbcClient jdbc;

	@BeforeAll
	static void serve() throws Exception {
		site = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		site.createContext("/", exchange -> {
			fetches.incrementAndGet();
			var path = exchange.getRequestURI().getPath();
			if (path.equals("/moved.json")) {
				exchange.getResponseHeaders().set("Location", "http://10.0.0.1/client.json");
				exchange.sendResponseHeaders(302, -1);
				exchange.close();
				return;
			}
			var body = documents.getOrDefault(path, "").getBytes(StandardCharsets.UTF_8);
			exchange.getResponseHeaders().set("Content-Type", "application/json");
			exchange.sendResponseHeaders(body.length == 0 ? 404 : 200, body.length == 0 ? -1 : body.length);
			if (body.length > 0) {
				exchange.getResponseBody().write(body);
			}
			exchange.close();
		});
		site.start();
	}

	@AfterAll
	static void stop() {
		site.stop(0);
	}

	private String url(String path) {
		return "http://127.0.0.1:" + site.getAddress().getPort() + path;
	}

	@Test
	void anAppKnownByItsMetadataDocumentSignsAPersonIn() throws Exception {
		var clientId = url("/notes/client.json");
		documents.put("/notes/client.json", """
				{"client_id":"%s","client_name":"Notes Host","redirect_uris":["%s"],"token_endpoint_auth_method":"none",
				 "grant_types":["authorization_code","refresh_token"],"scope":"familiar.memory.read"}""".formatted(clientId, CALLBACK));
		var ann = identity.addPerson("d" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		var verifier = new CodeVerifier();
		var toConsent = browser.get(authorize(clientId, verifier));
		assertThat(WebSession.location(toConsent)).contains("/oauth2/consent");
		var page = browser.get(WebSession.location(toConsent));
		assertThat(page.body()).contains("Notes Host wants to use your Familiar").contains("Its identity is published by " + clientId)
			.doesNotContain("id=\"unverified\"");
		var done = browser.post("/oauth2/authorize", "client_id", clientId, "state", WebSession.field(page.body(), "state"), "_csrf",
				WebSession.csrf(page.body()), "scope", "familiar.memory.read");
		var code = WebSession.location(done).replaceAll(".*[?&]code=([^&]+).*", "$1");
		var token = post("/oauth2/token", "grant_type=authorization_code&client_id=" + encode(clientId) + "&code=" + code
				+ "&redirect_uri=" + encode(CALLBACK) + "&code_verifier=" + verifier.getValue() + "&resource="
				+ encode("http://localhost:" + port + "/mcp"));
		assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
		assertThat(token.body()).contains("refresh_token");
		assertThat(jdbc.sql("select registered_by from app_registration r join oauth2_registered_client c on c.id = r.registered_client_id where c.client_id = :id")
			.param("id", clientId).query(String.class).single()).isEqualTo("document");

		// Fetched once, then kept for a day: a second sign-in does not fetch it again.
		int before = fetches.get();
		browser.get(authorize(clientId, new CodeVerifier()));
		assertThat(fetches.get()).isEqualTo(before);
	}

	@Test
	void documentsFamiliarMustNotUseAreRefused() throws Exception {
		var browser = new WebSession(port);
		var ann = identity.addPerson("d" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		browser.signIn(ann.username(), "correct horse");
		documents.put("/other.json", "{\"client_id\":\"https://someone.else/app\",\"client_name\":\"Imposter\",\"redirect_uris\":[\"" + CALLBACK + "\"]}");
		documents.put("/secret.json", "{\"client_id\":\"" + url("/secret.json") + "\",\"client_name\":\"Server\",\"redirect_uris\":[\""
				+ CALLBACK + "\"],\"token_endpoint_auth_method\":\"client_secret_basic\"}");
		documents.put("/big.json", "{\"client_id\":\"" + url("/big.json") + "\",\"client_name\":\"" + "x".repeat(6000) + "\"}");
		documents.put("/evil-redirect.json", "{\"client_id\":\"" + url("/evil-redirect.json")
				+ "\",\"client_name\":\"Evil\",\"redirect_uris\":[\"http://evil.example/cb\"]}");
		for (var refused : Map.of(url("/other.json"), "must be the document's own URL", url("/secret.json"), "only public clients",
				url("/big.json"), "larger than", url("/moved.json"), "answered 302", url("/missing.json"), "answered 404",
				url("/evil-redirect.json"), "must use https", "http://10.1.2.3/client.json", "private address",
				"http://[::1]:1/x.json", "could not be fetched").entrySet()) {
			var response = browser.get(authorize(refused.getKey(), new CodeVerifier()));
			assertThat(response.statusCode()).as(refused.getKey()).isEqualTo(400);
			assertThat(response.body()).as(refused.getKey()).contains(refused.getValue());
		}
		assertThat(jdbc.sql("select count(*) from oauth2_registered_client where client_id like :site or client_id like 'http://10.%'")
			.param("site", url("/%")).query(Long.class).single())
			.as("nothing kept of a refused document (this test's other documents are under /notes)")
			.isEqualTo(jdbc.sql("select count(*) from oauth2_registered_client where client_id like :notes")
				.param("notes", url("/notes/%")).query(Long.class).single());
	}

	private String authorize(String clientId, CodeVerifier verifier) {
		return "/oauth2/authorize?response_type=code&client_id=" + encode(clientId) + "&redirect_uri=" + encode(CALLBACK)
				+ "&scope=familiar.memory.read&state=s" + UUID.randomUUID() + "&code_challenge="
				+ CodeChallenge.compute(CodeChallengeMethod.S256, verifier).getValue() + "&code_challenge_method=S256"
				+ "&resource=" + encode("http://localhost:" + port + "/mcp");
	}

	private HttpResponse<String> post(String path, String form) throws Exception {
		return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}
}
