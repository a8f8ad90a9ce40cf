package org.familiar;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.ConnectedApps;
import org.familiar.testing.MalformedBodies;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Sends thousands of generated malformed requests to every endpoint Familiar has — each web
 * page, form, JSON API and {@code /v1} route Spring MVC knows, and the authorization server's
 * endpoints — as a signed-in person (session and CSRF token) or with a bearer token, and asserts
 * that none answers with a server error or shows internals (exception names, SQL). The counts by
 * endpoint and status go to {@code target/fuzz-report.txt}.
 */
class MalformedInputFuzzTests extends RunningFamiliar {

	/**
	 * Endpoints whose success would end the fuzzing session, or that only exist before the first
	 * account, or that stay open by design (the web app's event stream: its one input,
	 * Last-Event-ID, is checked in DevicesAndNotificationsTests).
	 */
	static final Set<String> SKIPPED = Set.of("POST /logout", "POST /settings/account/delete", "GET /api/attention/stream");

	/** Signs of internals in an error: exception names, stack frames, SQL, the database's words. */
	static final Pattern INTERNALS = Pattern.compile(
			"[A-Za-z]+Exception\\b|\\bat (org|java)\\.|\\bSQL\\b|org\\.h2|\\bjdbc\\b|PSQL|syntax error");

	/** Attribute values (CSRF tokens are random text that may spell anything) are no place for internals. */
	static final Pattern ATTRIBUTES = Pattern.compile("(content|value)=\"[^\"]*\"");

	@Autowired
	@Qualifier("requestMappingHandlerMapping")
	RequestMappingHandlerMapping mvc;

	@Autowired
	ConnectedApps apps;

	/** Another seed explores other inputs: {@code ./mvnw verify -Dtest=MalformedInputFuzzTests -Dfamiliar.fuzz.seed=7}. */
	static final long SEED = Long.getLong("familiar.fuzz.seed", 20261201L);

	final MalformedBodies bodies = new MalformedBodies(SEED);

	final Map<String, TreeMap<Integer, Integer>> statuses = new TreeMap<>();

	final List<String> failures = new ArrayList<>();

	WebSession browser;

	String csrf;

	String token;

	/** A fresh registrar token: Spring Authorization Server takes one back once it has registered a client. */
	java.util.function.Supplier<String> registrarToken;

	String clientId;

	@Test
	void noMalformedRequestGetsAServerErrorOrShowsInternals() throws Exception {
		var person = identity.addPerson("fuzz", "correct horse", true, null);
		token = identity.issueToken(person.id(), "fuzz", WorkloadClass.APP).secret();
		browser = new WebSession(port);
		browser.signIn("fuzz", "correct horse");
		csrf = WebSession.csrf(browser.get("/chat").body());
		clientId = apps.register(person.id(), "Fuzzed App", List.of("http://127.0.0.1:9/cb"), false, true, null).app().clientId();
		var registrar = apps.registerRegistrar(null, "Fuzz registrar");
		var basic = "Basic " + Base64.getEncoder().encodeToString((registrar.app().clientId() + ":" + registrar.secret())
			.getBytes(StandardCharsets.UTF_8));
		registrarToken = () -> browser.send("POST", "/oauth2/token", "application/x-www-form-urlencoded",
				("grant_type=client_credentials&scope=" + ConnectedApps.CLIENT_CREATE).getBytes(StandardCharsets.UTF_8),
				"Authorization", basic).body().replaceAll(".*\"access_token\":\"([^\"]+)\".*", "$1");

		for (var mapping : mvc.getHandlerMethods().entrySet()) {
			fuzz(mapping.getKey(), mapping.getValue());
		}
		authorizationServer();

		int total = statuses.values().stream().flatMap(s -> s.values().stream()).mapToInt(Integer::intValue).sum();
		var report = new StringBuilder("seed " + SEED + "\nendpoint\tstatus: count\n");
		statuses.forEach((endpoint, counts) -> report.append(endpoint).append('\t').append(counts).append('\n'));
		report.append("total\t").append(total).append('\n');
		Files.createDirectories(Path.of("target"));
		Files.writeString(Path.of("target", "fuzz-report.txt"), report);
		System.out.println(report);
		assertThat(total).isGreaterThanOrEqualTo(2000);
		assertThat(failures).as("server errors or internals shown, of %d requests (seed %d)", total, SEED).isEmpty();
	}

	private void fuzz(RequestMappingInfo info, HandlerMethod handler) {
		var methods = info.getMethodsCondition().getMethods().isEmpty() ? List.of("GET", "POST")
				: info.getMethodsCondition().getMethods().stream().map(Enum::name).toList();
		for (var pattern : info.getPatternValues()) {
			for (var method : methods) {
				if (SKIPPED.contains(method + " " + pattern) || pattern.equals("/setup")) {
					continue;
				}
				var body = parameter(handler, RequestBody.class);
				if (body != null && !method.equals("GET")) {
					for (var bytes : bodies.json(sample(pattern), 80)) {
						send(method, pattern, "", "application/json", bytes);
					}
				}
				else if (parameter(handler, RequestPart.class) != null || pattern.endsWith("/suites")) {
					for (var text : bodies.form(List.of("file", "name", "held_out", "heldOut"), 20)) {
						send(method, pattern, "", "multipart/form-data; boundary=x",
								("--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.jsonl\"\r\n\r\n" + text
										+ "\r\n--x--\r\n").getBytes(StandardCharsets.UTF_8));
					}
					for (var bytes : bodies.json("{\"id\":\"1\",\"input\":\"2+2\",\"target\":\"4\",\"grader\":\"exact\"}", 40)) {
						send(method, pattern, "", "application/x-ndjson", bytes);
					}
				}
				else {
					var fields = fields(handler);
					for (var form : bodies.form(fields, method.equals("GET") ? 15 : 50)) {
						if (method.equals("GET")) {
							send(method, pattern, "?" + form, "", new byte[0]);
						}
						else {
							send(method, pattern, "", "application/x-www-form-urlencoded",
									(form + "&_csrf=" + csrf).getBytes(StandardCharsets.UTF_8));
						}
					}
				}
			}
		}
	}

	/** The authorization server's endpoints, which Spring MVC does not know. */
	private void authorizationServer() {
		var tokenFields = List.of("grant_type", "code", "redirect_uri", "client_id", "code_verifier", "refresh_token",
				"device_code", "scope", "client_secret", "resource");
		formsTo("POST", "/oauth2/token", tokenFields, "grant_type=authorization_code&client_id=" + clientId
				+ "&code=x&code=y&code_verifier=abcdefghijabcdefghijabcdefghijabcdefghij12345&redirect_uri=http://127.0.0.1:9/cb");
		formsTo("POST", "/oauth2/token", tokenFields, "grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id="
				+ clientId + "&device_code=a&device_code=b");
		formsTo("POST", "/oauth2/device_authorization", List.of("client_id", "scope"), "client_id=" + clientId + "&client_id=x");
		formsTo("POST", "/oauth2/revoke", List.of("token", "token_type_hint", "client_id"), "client_id=" + clientId);
		formsTo("POST", "/oauth2/introspect", List.of("token", "token_type_hint", "client_id"), "client_id=" + clientId);
		var authorize = List.of("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
				"code_challenge_method", "nonce", "prompt");
		formsTo("GET", "/oauth2/authorize", authorize, "response_type=code&client_id=" + clientId
				+ "&redirect_uri=http://127.0.0.1:9/cb&scope=openid&code_challenge=x&code_challenge_method=S256");
		formsTo("POST", "/oauth2/authorize", List.of("client_id", "state", "scope", "familiar_cap"), "client_id=" + clientId);
		formsTo("GET", "/oauth2/device_verification", List.of("user_code"), "user_code=ABCD-EFGH");
		formsTo("POST", "/oauth2/device_verification", List.of("user_code", "client_id", "state", "scope"), "user_code=X");
		formsTo("GET", "/oauth2/consent", List.of("client_id", "scope", "state", "user_code"), "client_id=" + clientId);
		formsTo("POST", "/login", List.of("username", "password"), "username=fuzz&username=other");
		for (var bytes : bodies.json("""
				{"client_name":"Registered","redirect_uris":["https://app.example/cb"],"grant_types":["authorization_code"],
				 "response_types":["code"],"token_endpoint_auth_method":"none","scope":"openid profile familiar.assistant",
				 "logo_uri":"https://app.example/logo.png"}""", 120)) {
			send("POST", "/connect/register", "", "application/json", bytes, "Authorization", "Bearer " + registrarToken.get());
		}
		// Valid but oversized registrations (the database's column sizes must not show through).
		var longText = "a".repeat(3000);
		for (var oversized : List.of(
				"{\"client_name\":\"" + longText + "\",\"redirect_uris\":[\"https://app.example/cb\"]}",
				"{\"client_name\":\"Long\",\"redirect_uris\":[\"https://app.example/" + longText + "\"]}",
				"{\"client_name\":\"Long\",\"redirect_uris\":[\"https://app.example/cb\"],\"logo_uri\":\"https://app.example/" + longText + "\"}",
				"{\"client_name\":\"Long\",\"redirect_uris\":[\"https://app.example/cb\"],\"scope\":\"" + "openid ".repeat(500) + "\"}",
				"{\"client_name\":\"Many\",\"redirect_uris\":[" + "\"https://app.example/cb\",".repeat(300) + "\"https://app.example/x\"]}",
				"{\"client_name\":\"\",\"redirect_uris\":[\"https://app.example/cb\"]}")) {
			send("POST", "/connect/register", "", "application/json", oversized.getBytes(StandardCharsets.UTF_8),
					"Authorization", "Bearer " + registrarToken.get());
		}
		// Open registration (MCP hosts) and the authorization endpoint with resource indicators.
		for (var bytes : bodies.json("""
				{"client_name":"Host","redirect_uris":["http://127.0.0.1:9/cb"],"grant_types":["authorization_code","refresh_token"],
				 "response_types":["code"],"token_endpoint_auth_method":"none","scope":"familiar.memory.read familiar.assistant"}""", 80)) {
			send("POST", "/oauth2/register", "", "application/json", bytes);
		}
		formsTo("GET", "/oauth2/authorize", List.of("resource", "client_id", "redirect_uri"), "response_type=code&client_id="
				+ encode("https://127.0.0.1/c.json") + "&redirect_uri=http://127.0.0.1:9/cb&code_challenge=x&code_challenge_method=S256"
				+ "&resource=http://localhost/mcp&resource=x");
		// The MCP server: JSON-RPC bodies of every malformed shape, with a person's token.
		for (var bytes : bodies.json("""
				{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"memory_search","arguments":{"query":"tea","limit":3}}}""",
				120)) {
			send("POST", "/mcp", "", "application/json", bytes, "Authorization", "Bearer " + token, "Accept",
					"application/json, text/event-stream");
		}
		for (var bytes : bodies.json("""
				{"jsonrpc":"2.0","id":"a","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},
				 "clientInfo":{"name":"fuzz","version":"1"}}}""", 40)) {
			send("POST", "/mcp", "", "application/json", bytes, "Authorization", "Bearer " + token, "Accept",
					"application/json, text/event-stream");
		}
		for (var path : List.of("/.well-known/openid-configuration", "/oauth2/jwks", "/userinfo", "/error", "/actuator/health",
				"/.well-known/oauth-protected-resource", "/.well-known/oauth-authorization-server")) {
			formsTo("GET", path, List.of("x"), "a=b");
		}
	}

	private void formsTo(String method, String path, List<String> fields, String extra) {
		var forms = new ArrayList<>(bodies.form(fields, 45));
		forms.add(extra);
		for (var form : forms) {
			if (method.equals("GET")) {
				send(method, path, "?" + form, "", new byte[0]);
			}
			else {
				send(method, path, "", "application/x-www-form-urlencoded", (form + "&_csrf=" + csrf).getBytes(StandardCharsets.UTF_8));
			}
		}
	}

	private void send(String method, String pattern, String query, String contentType, byte[] body, String... extraHeaders) {
		var path = concrete(pattern) + query;
		try {
			java.net.URI.create("http://localhost" + path);
		}
		catch (IllegalArgumentException unsendable) {
			// A query the JDK's client will not send (a bare '%'); form bodies carry such bytes instead.
			return;
		}
		var headers = new ArrayList<String>(List.of("X-XSRF-TOKEN", csrf));
		if (pattern.startsWith("/v1") || pattern.startsWith("/api")) {
			headers.addAll(List.of("Authorization", "Bearer " + token));
		}
		headers.addAll(List.of(extraHeaders));
		var endpoint = method + " " + pattern;
		try {
			var response = browser.send(method, path, contentType, body, headers.toArray(String[]::new));
			statuses.computeIfAbsent(endpoint, e -> new TreeMap<>()).merge(response.statusCode(), 1, Integer::sum);
			var shown = response.statusCode() >= 400 ? ATTRIBUTES.matcher(response.body()).replaceAll("") : "";
			if (response.statusCode() >= 500 || INTERNALS.matcher(shown).find()) {
				failures.add(endpoint + " (" + path.substring(0, Math.min(path.length(), 120)) + ") with "
						+ preview(body) + " -> " + response.statusCode() + " " + preview(response.body().getBytes(StandardCharsets.UTF_8)));
			}
		}
		catch (RuntimeException ex) {
			failures.add(endpoint + " with " + preview(body) + " -> " + ex);
		}
	}

	private String concrete(String pattern) {
		var path = new StringBuilder();
		var matcher = Pattern.compile("\\{[^}]+\\}|\\*\\*").matcher(pattern);
		int last = 0;
		while (matcher.find()) {
			path.append(pattern, last, matcher.start()).append(matcher.group().equals("**") ? "x/y" : bodies.pathValue());
			last = matcher.end();
		}
		return path.append(pattern.substring(last)).toString();
	}

	private static String preview(byte[] body) {
		var text = new String(body, StandardCharsets.UTF_8).replace("\n", "\\n");
		return text.length() > 160 ? text.substring(0, 160) + "…(" + body.length + " bytes)" : text;
	}

	private static MethodParameter parameter(HandlerMethod handler, Class<? extends java.lang.annotation.Annotation> type) {
		for (var parameter : handler.getMethodParameters()) {
			if (parameter.hasParameterAnnotation(type)) {
				return parameter;
			}
		}
		return null;
	}

	/** The request parameters a handler reads: @RequestParam names and the components of a form record. */
	private static List<String> fields(HandlerMethod handler) {
		var names = new LinkedHashSet<String>();
		for (var parameter : handler.getMethodParameters()) {
			var param = parameter.getParameterAnnotation(RequestParam.class);
			if (param != null) {
				names.add(!param.name().isEmpty() ? param.name() : param.value().isEmpty() ? parameter.getParameterName() : param.value());
			}
			else if (parameter.getParameterType().isRecord()) {
				for (var component : parameter.getParameterType().getRecordComponents()) {
					names.add(component.getName());
				}
			}
		}
		names.remove(null);
		return names.isEmpty() ? List.of("q", "content") : List.copyOf(names);
	}

	private static String sample(String pattern) {
		return switch (pattern) {
			case "/v1/chat/completions" -> """
					{"model":"fake-model","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],
					 "max_tokens":5,"stream":false,"temperature":0.5,"stop":["x"],"n":1}""";
			case "/v1/embeddings" -> "{\"model\":\"familiar-embed\",\"input\":[\"hi there\",\"tea\"],\"encoding_format\":\"float\"}";
			case "/v1/responses" -> "{\"model\":\"fake-model\",\"instructions\":\"be brief\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hi\"}]}],\"max_output_tokens\":5}";
			case "/v1/completions" -> "{\"model\":\"fake-model\",\"prompt\":[\"Once\",\"upon\"],\"max_tokens\":5,\"echo\":false}";
			case "/chat/send" -> "{\"conversation\":null,\"model\":\"fake-model\",\"content\":\"hello\"}";
			case "/chat/messages/{id}/feedback" -> "{\"rating\":1,\"reason\":\"nice\"}";
			case "/api/research/runs" -> "{\"suite\":\"00000000-0000-0000-0000-000000000000\",\"model\":\"fake-model\",\"concurrency\":2}";
			case "/api/research/suites/{id}/canary" -> "{\"model\":\"fake-model\"}";
			default -> "{\"content\":\"I like tea\",\"kind\":\"fact\",\"apps\":[\"recipes\"]}";
		};
	}

	static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}
}
