package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.oauth2.sdk.pkce.CodeChallenge;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.Person;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemorySource;
import org.familiar.testing.Chromium;
import org.familiar.testing.McpHost;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Familiar as an MCP server, with MCP's authorization: the official MCP TypeScript SDK client does
 * the whole dance from nothing but the URL (401 → protected-resource metadata → authorization
 * server metadata → dynamic registration → code + PKCE through the real login and consent pages
 * in Chromium → token for the resource → tools); and, with plain HTTP, what its authorization must
 * refuse: a token for another resource, a reused refresh token, a revoked one.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class McpServerTests extends RunningFamiliar {

	private static final ObjectMapper JSON = new ObjectMapper();

	private static final String CALLBACK = "http://127.0.0.1:9/callback";

	static WebDriver browser;

	@Autowired
	MemoryManagement memory;

	@Autowired
	JdbcClient jdbc;

	@Autowired
	org.familiar.identity.ConnectedApps apps;

	Person ann;

	final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@BeforeEach
	void person() {
		ann = identity.addPerson("m" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
	}

	@AfterAll
	static void closeBrowser() {
		if (browser != null) {
			browser.quit();
		}
	}

	@Test
	void anMcpHostSignsInWithNothingButTheUrlAndUsesMemoryWithinWhatThePersonAllowed() throws Exception {
		var me = new Caller(ann.id(), ann.username(), null, WorkloadClass.INTERACTIVE);
		memory.remember(me, "Drinks genmaicha tea every morning", MemoryKind.FACT, MemorySource.MANUAL, null, null);
		memory.remember(me, "Keeps the spare house key under the blue tea pot", MemoryKind.FACT, MemorySource.MANUAL, null, List.of());
		browser = browser == null ? Chromium.open() : browser;
		var base = "http://localhost:" + port;
		browser.get(base + "/login");
		browser.findElement(By.name("username")).sendKeys(ann.username());
		browser.findElement(By.name("password")).sendKeys("correct horse");
		browser.findElement(By.cssSelector("button[type=submit]")).click();
		Chromium.waiting(browser, 10).until(b -> b.getCurrentUrl().endsWith("/chat"));

		try (var host = McpHost.start(base + "/mcp", "tea", "What should I drink?")) {
			var registered = host.next("registered").get("registered");
			assertThat(registered.get("token_endpoint_auth_method").asText()).isEqualTo("none");
			var authorize = URI.create(host.next("authorize").get("authorize").asText());
			var query = split(authorize.getRawQuery());
			assertThat(query.get("resource")).isEqualTo(base + "/mcp");
			assertThat(query.get("code_challenge_method")).isEqualTo("S256");

			// The consent page names the host as unverified and each tool in plain words; the person
			// allows reading memory and asking, not writing, and caps it.
			browser.get(authorize.toString());
			Chromium.waiting(browser, 10).until(b -> b.getCurrentUrl().contains("/oauth2/consent"));
			assertThat(browser.findElement(By.tagName("h1")).getText()).contains("Test MCP Host");
			assertThat(browser.findElement(By.id("unverified")).getText()).contains("registered itself");
			assertThat(browser.getPageSource()).contains("memory_search (find what you share with apps)")
				.contains("ask (a reply from your AI, on your plan)").contains("127.0.0.1");
			browser.findElement(By.cssSelector("input[name=scope][value='familiar.memory.write']")).click();
			browser.findElement(By.name("familiar_cap")).sendKeys("20000");
			browser.findElement(By.id("allow")).click();
			Chromium.waiting(browser, 10).until(b -> b.getCurrentUrl().startsWith("http://127.0.0.1:"));

			var tokens = host.next("tokens").get("tokens");
			assertThat(tokens.get("has_refresh_token").asBoolean()).as("a public host stays signed in").isTrue();
			assertThat(tokens.get("scope").asText()).contains("familiar.memory.read").doesNotContain("familiar.memory.write");
			assertThat(host.next("server").get("server").get("name").asText()).isEqualTo("familiar");
			var tools = names(host.next("tools").get("tools"));
			assertThat(tools).contains("memory_search", "ask", "notify").doesNotContain("memory_add", "memory_forget");

			var search = host.next("call").get("result");
			assertThat(search.get("isError").asBoolean()).isFalse();
			assertThat(text(search)).contains("genmaicha").doesNotContain("spare house key");
			var add = host.next("call").get("result");
			assertThat(add.get("isError").asBoolean()).as("no memory.write: refused").isTrue();
			assertThat(text(add)).contains("familiar.memory.write");
			var ask = host.next("call").get("result");
			assertThat(ask.get("isError").asBoolean()).isFalse();
			assertThat(text(ask)).contains("What should I drink?");
			assertThat(host.next("resource").get("resource").toString()).contains("How " + ann.username() + " likes Familiar to answer");
			host.next("done");

			// ask ran as the person, in the app class, billed to the app; each tool call counted.
			var app = jdbc.sql("select id from oauth2_registered_client where client_id = :id")
				.param("id", registered.get("client_id").asText()).query(String.class).single();
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.sql(
					"select count(*) from ledger_entry where kind = 'settle' and workload = 'app' and token_id = :app and person_id = :person")
				.param("app", UUID.fromString(app)).param("person", ann.id().value()).query(Long.class).single() == 1);
			var calls = jdbc.sql("select tool, calls, failures from app_tool_call where app_id = :app order by tool")
				.param("app", UUID.fromString(app)).query((rs, n) -> rs.getString(1) + "=" + rs.getLong(2) + "/" + rs.getLong(3)).list();
			assertThat(calls).containsExactly("ask=1/0", "memory_add=1/1", "memory_search=1/0", "resource:preferences=1/0");

			// Apps & devices shows the host, what it did, and disconnects it: its tokens stop at once.
			browser.get(base + "/settings/apps");
			var section = browser.findElement(By.cssSelector("[data-client='" + registered.get("client_id").asText() + "']"));
			assertThat(section.getText()).contains("MCP host").contains("unverified").contains("memory_search");
			assertThat(mcp(tokens.get("access_token").asText(), "tools/list").statusCode()).isEqualTo(200);
			section.findElement(By.cssSelector("form.revoke button")).click();
			browser.switchTo().alert().accept();
			Chromium.waiting(browser, 10).until(b -> b.getPageSource().contains("Disconnected"));
			assertThat(mcp(tokens.get("access_token").asText(), "tools/list").statusCode()).isEqualTo(401);
		}
	}

	@Test
	void theServerSaysWhereToSignInAndTokensAreBoundToTheirResource() throws Exception {
		var base = "http://localhost:" + port;
		var challenge = http.send(HttpRequest.newBuilder(URI.create(base + "/mcp"))
			.header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
			.POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(challenge.statusCode()).isEqualTo(401);
		assertThat(challenge.headers().firstValue("WWW-Authenticate").orElseThrow())
			.isEqualTo("Bearer resource_metadata=\"" + base + "/.well-known/oauth-protected-resource/mcp\"");
		var metadata = get(base + "/.well-known/oauth-protected-resource/mcp");
		assertThat(metadata.get("resource").asText()).isEqualTo(base + "/mcp");
		assertThat(metadata.get("authorization_servers").get(0).asText()).isEqualTo(base);
		assertThat(get(base + "/.well-known/oauth-protected-resource/v1").get("resource").asText()).isEqualTo(base + "/v1");
		var server = get(base + "/.well-known/oauth-authorization-server");
		assertThat(server.get("issuer").asText()).isEqualTo(base);
		assertThat(names(server.get("code_challenge_methods_supported"))).contains("S256");
		assertThat(server.get("registration_endpoint").asText()).isEqualTo(base + "/oauth2/register");
		assertThat(server.get("client_id_metadata_document_supported").asBoolean()).isTrue();
		assertThat(names(server.get("token_endpoint_auth_methods_supported"))).contains("none");
		var openid = get(base + "/.well-known/openid-configuration");
		assertThat(openid.get("registration_endpoint").asText()).as("OpenID Connect registration, with a registrar's token")
			.isEqualTo(base + "/connect/register");
		assertThat(names(openid.get("code_challenge_methods_supported"))).contains("S256");
		var v1Challenge = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
		assertThat(v1Challenge.headers().firstValue("WWW-Authenticate").orElseThrow())
			.contains("resource_metadata=\"" + base + "/.well-known/oauth-protected-resource/v1\"");

		var clientId = register("Audience Checker");
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		var forMcp = tokens(browser, clientId, base + "/mcp");
		var forV1 = tokens(browser, clientId, base + "/v1");
		var forNothing = tokens(browser, clientId, null);

		assertThat(mcp(forMcp.get("access_token").asText(), "tools/list").statusCode()).isEqualTo(200);
		var fromAPage = http.send(HttpRequest.newBuilder(URI.create(base + "/mcp"))
			.header("Authorization", "Bearer " + forMcp.get("access_token").asText())
			.header("Origin", "https://evil.example").header("Content-Type", "application/json")
			.header("Accept", "application/json, text/event-stream")
			.POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(fromAPage.statusCode()).as("a web page of another origin (DNS rebinding)").isEqualTo(403);
		var refusedAtV1 = v1(forMcp.get("access_token").asText());
		assertThat(refusedAtV1.statusCode()).as("a token for /mcp at /v1").isEqualTo(401);
		assertThat(refusedAtV1.body()).contains("This token was not issued for /v1");
		assertThat(v1(forV1.get("access_token").asText()).statusCode()).isEqualTo(200);
		var refusedAtMcp = mcp(forV1.get("access_token").asText(), "tools/list");
		assertThat(refusedAtMcp.statusCode()).as("a token for /v1 at /mcp").isEqualTo(401);
		assertThat(refusedAtMcp.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
		assertThat(mcp(forNothing.get("access_token").asText(), "tools/list").statusCode()).as("no resource: not for /mcp")
			.isEqualTo(401);
		assertThat(v1(forNothing.get("access_token").asText()).statusCode()).as("no resource: Familiar's API as before")
			.isEqualTo(200);

		// A resource Familiar does not serve, at authorization and at the token endpoint.
		var verifier = new CodeVerifier();
		var unknown = browser.get(authorizeUrl(clientId, verifier, "https://elsewhere.example/mcp"));
		assertThat(unknown.statusCode()).isEqualTo(400);
		assertThat(unknown.body()).contains("invalid_target");
		var widened = codeExchange(browser, clientId, base + "/mcp", base + "/v1");
		assertThat(widened.statusCode()).isEqualTo(400);
		assertThat(widened.body()).contains("invalid_target");
	}

	@Test
	void refreshTokensRotateAReusedOneRevokesTheSignInAndAPublicClientCanRevoke() throws Exception {
		var base = "http://localhost:" + port;
		var clientId = register("Rotating Host");
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		var first = tokens(browser, clientId, base + "/mcp");
		var second = post("/oauth2/token", "grant_type", "refresh_token", "client_id", clientId, "refresh_token",
				first.get("refresh_token").asText());
		assertThat(second.statusCode()).isEqualTo(200);
		var rotated = JSON.readTree(second.body());
		assertThat(rotated.get("refresh_token").asText()).isNotEqualTo(first.get("refresh_token").asText());
		assertThat(mcp(rotated.get("access_token").asText(), "tools/list").statusCode()).as("still for /mcp").isEqualTo(200);

		// The first refresh token again: it was copied, so the whole sign-in ends.
		var reuse = post("/oauth2/token", "grant_type", "refresh_token", "client_id", clientId, "refresh_token",
				first.get("refresh_token").asText());
		assertThat(reuse.statusCode()).isEqualTo(400);
		assertThat(reuse.body()).contains("invalid_grant").contains("already used");
		assertThat(mcp(rotated.get("access_token").asText(), "tools/list").statusCode()).isEqualTo(401);
		assertThat(post("/oauth2/token", "grant_type", "refresh_token", "client_id", clientId, "refresh_token",
				rotated.get("refresh_token").asText()).statusCode()).isEqualTo(400);

		// Signing out: a public client revokes its token with its client_id alone (no more 302 to the login page).
		var again = tokens(browser, clientId, base + "/mcp");
		var revoked = post("/oauth2/revoke", "client_id", clientId, "token", again.get("access_token").asText());
		assertThat(revoked.statusCode()).isEqualTo(200);
		assertThat(mcp(again.get("access_token").asText(), "tools/list").statusCode()).isEqualTo(401);
		var otherApp = register("Someone Else");
		assertThat(post("/oauth2/revoke", "client_id", otherApp, "token", again.get("refresh_token").asText()).statusCode())
			.as("another client's token is not its to revoke").isIn(200, 400);
	}

	@Test
	void openRegistrationTakesPublicClientsOnly() throws Exception {
		var secret = post("/oauth2/register", JSON.writeValueAsString(Map.of("client_name", "Server app", "redirect_uris",
				List.of(CALLBACK), "token_endpoint_auth_method", "client_secret_basic")));
		assertThat(secret.statusCode()).isEqualTo(400);
		assertThat(JSON.readTree(secret.body()).get("error").asText()).isEqualTo("invalid_client_metadata");
		var plainHttp = post("/oauth2/register", JSON.writeValueAsString(Map.of("client_name", "Sneaky", "redirect_uris",
				List.of("http://evil.example/cb"))));
		assertThat(JSON.readTree(plainHttp.body()).get("error").asText()).isEqualTo("invalid_redirect_uri");
		for (var bad : List.of("", "[]", "{\"client_name\":5,\"redirect_uris\":[\"" + CALLBACK + "\"]}",
				"{\"client_name\":\"x\",\"redirect_uris\":[null]}", "{\"client_name\":\"x\",\"redirect_uris\":[\"" + CALLBACK
						+ "\"],\"grant_types\":[\"client_credentials\"]}",
				"{\"client_name\":\"x\\u0000y\",\"redirect_uris\":[\"" + CALLBACK + "\"]}",
				"{\"client_name\":\"two\\nlines\",\"redirect_uris\":[\"" + CALLBACK + "\"]}")) {
			var response = post("/oauth2/register", bad);
			assertThat(response.statusCode()).as(bad).isEqualTo(400);
			assertThat(JSON.readTree(response.body()).has("error")).as(bad).isTrue();
		}
		assertThat(jdbc.sql("select count(*) from app_registration where registered_by = 'self'").query(Long.class).single())
			.as("nothing stored for a refused registration").isZero();
	}

	@Test
	void aClientIdMetadataDocumentOnAPrivateAddressIsRefused() throws Exception {
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		for (var refused : Map.of("https://127.0.0.1:" + port + "/client.json", "private address",
				"https://localhost:" + port + "/client.json", "resolves to a private address",
				"https://[::ffff:10.0.0.1]/client.json", "private address",
				"http://apps.example/client.json", "must be https").entrySet()) {
			var response = browser.get(authorizeUrl(refused.getKey(), new CodeVerifier(), null).replace("client_id=" + refused.getKey(),
					"client_id=" + encode(refused.getKey())));
			assertThat(response.statusCode()).as(refused.getKey()).isEqualTo(400);
			assertThat(response.body()).as(refused.getKey()).contains(refused.getValue());
		}
		assertThat(jdbc.sql("select count(*) from oauth2_registered_client where client_id like 'http%'").query(Long.class).single())
			.isZero();
	}

	@Test
	void toolsWriteAsTheAppForgetOnlyItsOwnNotifyAndKeepToTheCap() throws Exception {
		var me = new Caller(ann.id(), ann.username(), null, WorkloadClass.INTERACTIVE);
		var theirs = memory.remember(me, "Was born in Lisbon", MemoryKind.FACT, MemorySource.MANUAL, null, null).memory();
		var clientId = register("Writing Host");
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		var token = tokens(browser, clientId, "http://localhost:" + port + "/mcp",
				List.of("familiar.memory.read", "familiar.memory.write", "familiar.assistant", "familiar.notify"), "1").get("access_token").asText();

		var added = call(token, "memory_add", Map.of("content", "Prefers aisle seats on long flights", "kind", "preference"));
		assertThat(added.get("isError").asBoolean()).as(added.toString()).isFalse();
		var id = JSON.readTree(text(added)).get("id").asText();
		var stored = memory.memory(me, org.familiar.memory.MemoryId.parse(id));
		assertThat(stored.source()).isEqualTo(MemorySource.APP);
		assertThat(stored.sourceRef()).isEqualTo("app:" + clientId);
		assertThat(stored.apps()).as("shared with the app that wrote it").containsExactly("app:" + clientId);

		var notTheirs = call(token, "memory_forget", Map.of("id", theirs.id().toString()));
		assertThat(notTheirs.get("isError").asBoolean()).isTrue();
		assertThat(text(notTheirs)).contains("did not write that memory");
		assertThat(memory.memory(me, theirs.id())).as("still there").isNotNull();
		var nonsense = call(token, "memory_forget", Map.of("id", "not-an-id"));
		assertThat(text(nonsense)).contains("No such memory");
		var own = call(token, "memory_forget", Map.of("id", id));
		assertThat(own.get("isError").asBoolean()).as(own.toString()).isFalse();
		assertThat(memory.memories(me, "aisle", 10)).isEmpty();

		var notified = call(token, "notify", Map.of("title", "Your flight is boarding", "urgency", "high"));
		assertThat(notified.get("isError").asBoolean()).as(notified.toString()).isFalse();
		assertThat(JSON.readTree(text(notified)).get("decision").asText()).isIn("now", "digest");
		var badNotify = call(token, "notify", Map.of("title", ""));
		assertThat(badNotify.get("isError").asBoolean()).isTrue();
		assertThat(text(badNotify)).contains("title");

		// The cap the person chose on the consent page (1 token) holds ask back.
		var capped = call(token, "ask", Map.of("question", "Anything?"));
		assertThat(capped.get("isError").asBoolean()).isTrue();
		assertThat(text(capped)).contains("capped what this app may spend");
		var unknownTool = mcp(token, "tools/call", Map.of("name", "drop_tables", "arguments", Map.of()));
		assertThat(unknownTool.statusCode()).isLessThan(500);
		assertThat(unknownTool.body()).contains("error");
	}

	@Test
	void malformedMessagesGetAJsonRpcErrorAndNoInternals() throws Exception {
		// A person's own token works at /mcp too (hosts that take a static bearer token).
		var token = identity.issueToken(ann.id(), "mcp", WorkloadClass.APP).secret();
		assertThat(mcp(token, "tools/list").statusCode()).isEqualTo(200);
		for (var bad : Map.of("null", -32600, "[]", -32600, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}", -32600,
				"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\"}", -32602,
				"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":{}}}", -32602,
				"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"tools/list\"}", -32600, "{\"jsonrpc\":", -32700).entrySet()) {
			var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/mcp"))
				.header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
				.header("Accept", "application/json, text/event-stream")
				.POST(HttpRequest.BodyPublishers.ofString(bad.getKey())).build(), HttpResponse.BodyHandlers.ofString());
			assertThat(response.statusCode()).as(bad.getKey()).isEqualTo(400);
			assertThat(JSON.readTree(response.body()).path("error").path("code").asInt()).as(bad.getKey()).isEqualTo(bad.getValue());
			assertThat(response.body()).as(bad.getKey()).doesNotContain("stackTrace").doesNotContain("Exception");
		}
		var wrongType = call(token, "memory_search", Map.of("query", 5));
		assertThat(wrongType.get("isError").asBoolean()).isTrue();
		assertThat(text(wrongType)).contains("string expected");
	}

	@Test
	void anAppThatRegisteredItselfAndWasNeverConnectedIsDeletedAfterADay() throws Exception {
		var unused = register("Never Used");
		var used = register("Used Once");
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		tokens(browser, used, "http://localhost:" + port + "/mcp");
		jdbc.sql("update app_registration set created_at = :old where registered_by = 'self'")
			.param("old", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusHours(25)).update();
		assertThat(apps.expireUnused()).isGreaterThanOrEqualTo(1);
		assertThat(apps.app(unused)).isEmpty();
		assertThat(apps.app(used)).as("connected by a person: kept").isPresent();
	}

	/** Last: it uses up this address's registrations. */
	@Test
	@org.junit.jupiter.api.Order(Integer.MAX_VALUE)
	void openRegistrationIsLimitedPerAddress() throws Exception {
		HttpResponse<String> response = null;
		for (int i = 0; i < 40; i++) {
			response = post("/oauth2/register", JSON.writeValueAsString(Map.of("client_name", "Flood " + i, "redirect_uris", List.of(CALLBACK))));
			if (response.statusCode() != 201) {
				break;
			}
		}
		assertThat(response.statusCode()).isEqualTo(429);
		assertThat(Long.parseLong(response.headers().firstValue("Retry-After").orElseThrow())).isPositive();
		assertThat(JSON.readTree(response.body()).get("error_description").asText()).contains("Too many apps registered themselves");
	}

	// ---- helpers

	private String register(String name) throws Exception {
		var response = post("/oauth2/register", JSON.writeValueAsString(Map.of("client_name", name, "redirect_uris", List.of(CALLBACK))));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
		return JSON.readTree(response.body()).get("client_id").asText();
	}

	/** Signs in through the consent page (everything asked for allowed) and exchanges the code. */
	private JsonNode tokens(WebSession browser, String clientId, String resource) throws Exception {
		var response = codeExchange(browser, clientId, resource, resource);
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

	private JsonNode tokens(WebSession browser, String clientId, String resource, List<String> scopes, String cap) throws Exception {
		var response = codeExchange(browser, clientId, resource, resource, scopes, cap);
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

	private HttpResponse<String> codeExchange(WebSession browser, String clientId, String resource, String tokenResource)
			throws Exception {
		return codeExchange(browser, clientId, resource, tokenResource, List.of("familiar.memory.read", "familiar.assistant"), "");
	}

	private HttpResponse<String> codeExchange(WebSession browser, String clientId, String resource, String tokenResource,
			List<String> scopes, String cap) throws Exception {
		var verifier = new CodeVerifier();
		var toConsent = browser.get(authorizeUrl(clientId, verifier, resource, scopes));
		var location = WebSession.location(toConsent);
		if (location.contains("/oauth2/consent")) {
			var page = browser.get(location);
			var form = new ArrayList<>(List.of("client_id", clientId, "state", WebSession.field(page.body(), "state"), "_csrf",
					WebSession.csrf(page.body()), "familiar_cap", cap));
			for (var scope : scopes) {
				form.add("scope");
				form.add(scope);
			}
			location = WebSession.location(browser.post("/oauth2/authorize", form.toArray(String[]::new)));
		}
		var code = split(URI.create(location).getRawQuery()).get("code");
		assertThat(code).as(location).isNotNull();
		var fields = new ArrayList<>(List.of("grant_type", "authorization_code", "client_id", clientId, "code", code,
				"redirect_uri", CALLBACK, "code_verifier", verifier.getValue()));
		if (tokenResource != null) {
			fields.add("resource");
			fields.add(tokenResource);
		}
		return post("/oauth2/token", fields.toArray(String[]::new));
	}

	private String authorizeUrl(String clientId, CodeVerifier verifier, String resource) {
		return authorizeUrl(clientId, verifier, resource, List.of("familiar.memory.read", "familiar.assistant"));
	}

	private String authorizeUrl(String clientId, CodeVerifier verifier, String resource, List<String> scopes) {
		var url = "/oauth2/authorize?response_type=code&client_id=" + clientId + "&redirect_uri=" + encode(CALLBACK)
				+ "&scope=" + encode(String.join(" ", scopes)) + "&state=" + UUID.randomUUID()
				+ "&code_challenge=" + CodeChallenge.compute(CodeChallengeMethod.S256, verifier).getValue()
				+ "&code_challenge_method=S256";
		return resource == null ? url : url + "&resource=" + encode(resource);
	}

	private HttpResponse<String> mcp(String token, String method) throws Exception {
		return mcp(token, method, Map.of());
	}

	private HttpResponse<String> mcp(String token, String method, Map<String, Object> params) throws Exception {
		var body = JSON.writeValueAsString(Map.of("jsonrpc", "2.0", "id", 1, "method", method, "params", params));
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/mcp"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.header("Accept", "application/json, text/event-stream")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	/** A tools/call's result (the JSON-RPC result object). */
	private JsonNode call(String token, String tool, Map<String, Object> arguments) throws Exception {
		var response = mcp(token, "tools/call", Map.of("name", tool, "arguments", arguments));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		var result = JSON.readTree(response.body()).get("result");
		assertThat(result).as(response.body()).isNotNull();
		return result;
	}

	private HttpResponse<String> v1(String token) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/models"))
			.header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
	}

	private JsonNode get(String url) throws Exception {
		var response = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(url + ": " + response.body()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

	private HttpResponse<String> post(String path, String json) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
	}

	private HttpResponse<String> post(String path, String... form) throws Exception {
		var body = new StringBuilder();
		for (int i = 0; i < form.length; i += 2) {
			body.append(i == 0 ? "" : "&").append(encode(form[i])).append('=').append(encode(form[i + 1]));
		}
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
	}

	private static Map<String, String> split(String query) {
		return java.util.Arrays.stream(query.split("&")).map(pair -> pair.split("=", 2))
			.collect(Collectors.toMap(p -> java.net.URLDecoder.decode(p[0], StandardCharsets.UTF_8),
					p -> p.length > 1 ? java.net.URLDecoder.decode(p[1], StandardCharsets.UTF_8) : "", (a, b) -> a));
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}

	private static List<String> names(JsonNode array) {
		var names = new ArrayList<String>();
		array.forEach(item -> names.add(item.asText()));
		return names;
	}

	private static String text(JsonNode result) {
		var text = new StringBuilder();
		result.get("content").forEach(part -> text.append(part.path("text").asText()));
		return text.toString();
	}
}
