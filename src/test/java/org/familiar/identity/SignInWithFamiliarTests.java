package org.familiar.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.AuthorizationGrant;
import com.nimbusds.oauth2.sdk.AuthorizationResponse;
import com.nimbusds.oauth2.sdk.ClientCredentialsGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.GrantType;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.openid.connect.sdk.rp.OIDCClientInformationResponse;
import com.nimbusds.openid.connect.sdk.rp.OIDCClientMetadata;
import com.nimbusds.openid.connect.sdk.rp.OIDCClientRegistrationRequest;
import com.nimbusds.openid.connect.sdk.rp.OIDCClientRegistrationResponseParser;
import com.nimbusds.oauth2.sdk.RefreshTokenGrant;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenIntrospectionRequest;
import com.nimbusds.oauth2.sdk.TokenIntrospectionResponse;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.TokenRevocationRequest;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationRequest;
import com.nimbusds.oauth2.sdk.device.DeviceAuthorizationResponse;
import com.nimbusds.oauth2.sdk.device.DeviceCode;
import com.nimbusds.oauth2.sdk.device.DeviceCodeGrant;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.oauth2.sdk.token.RefreshToken;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.UserInfoResponse;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import com.nimbusds.openid.connect.sdk.validators.IDTokenValidator;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemorySource;
import org.familiar.plans.PlansManagement;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Sign in with Familiar with real clients: Nimbus's OAuth 2.0 / OpenID Connect SDK (the client
 * library under Spring Security's) drives the flows through the real login, consent and device
 * pages, and the openai-java SDK calls {@code /v1} with the tokens it gets.
 */
class SignInWithFamiliarTests extends RunningFamiliar {

	/** The stand-in backend counts as trusted here, so that a held-out suite may run on it. */
	@org.springframework.test.context.DynamicPropertySource
	static void trustTheBackend(org.springframework.test.context.DynamicPropertyRegistry registry) {
		registry.add("familiar.backends.fake.trusted", () -> "true");
	}

	static final URI CALLBACK = URI.create("http://localhost:9/callback");

	@Autowired
	ConnectedApps apps;

	@Autowired
	SigningKeys keys;

	@Autowired
	MemoryManagement memory;

	@Autowired
	PlansManagement plans;

	@Autowired
	org.familiar.research.ResearchManagement research;

	@Autowired
	JdbcClient jdbc;

	OIDCProviderMetadata provider;

	Person ann;

	@BeforeEach
	void discover() throws Exception {
		provider = OIDCProviderMetadata.resolve(new Issuer("http://localhost:" + port));
		ann = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
	}

	@Test
	void discoveryPublishesEveryEndpointAndPersistedKeys() throws Exception {
		assertThat(provider.getAuthorizationEndpointURI()).isNotNull();
		assertThat(provider.getDeviceAuthorizationEndpointURI()).isNotNull();
		assertThat(provider.getRevocationEndpointURI()).isNotNull();
		assertThat(provider.getIntrospectionEndpointURI()).isNotNull();
		assertThat(provider.getUserInfoEndpointURI()).isNotNull();
		assertThat(provider.getScopes().toStringList()).contains("familiar.assistant", "familiar.memory.read",
				"familiar.memory.write");
		var published = com.nimbusds.jose.jwk.JWKSet.load(provider.getJWKSetURI().toURL());
		assertThat(published.getKeys()).extracting(k -> k.getKeyID()).contains(keys.current().getKeyID());
		assertThat(published.getKeys()).allMatch(k -> !k.isPrivate());
		var stored = jdbc.sql("select kid from oauth_signing_key where retired_at is null").query(String.class).list();
		assertThat(stored).contains(keys.current().getKeyID());
	}

	@Test
	void aPersonSignsInToAPublicAppWithPkceAndTheAppChatsAsThem() throws Exception {
		var app = apps.register(null, "Recipe Box", List.of(CALLBACK.toString()), false, false, null).app();
		var browser = new WebSession(port);
		var verifier = new CodeVerifier();
		var nonce = new Nonce();
		var request = new AuthenticationRequest.Builder(new ResponseType(ResponseType.Value.CODE),
				new Scope("openid", "profile", "familiar.assistant"), new ClientID(app.clientId()), CALLBACK)
			.state(new State())
			.nonce(nonce)
			.codeChallenge(verifier, CodeChallengeMethod.S256)
			.endpointURI(provider.getAuthorizationEndpointURI())
			.build();

		// Not signed in yet: the real login page, then back to the authorization request.
		var toLogin = browser.get(request.toURI().toString());
		assertThat(WebSession.location(toLogin)).endsWith("/login");
		var back = browser.signIn(ann.username(), "correct horse");
		assertThat(back).contains("/oauth2/authorize");
		var code = consent(browser, browser.get(back), List.of("profile", "familiar.assistant"), "50000");
		assertThat(code.getState()).isEqualTo(request.getState());

		var tokens = token(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK, verifier), app.clientId(), null);
		var claims = new IDTokenValidator(new Issuer(provider.getIssuer()), new ClientID(app.clientId()), JWSAlgorithm.RS256,
				provider.getJWKSetURI().toURL())
			.validate(tokens.getOIDCTokens().getIDToken(), nonce);
		assertThat(claims.getSubject().getValue()).isEqualTo(ann.username());
		assertThat(claims.getStringClaim("preferred_username")).isEqualTo(ann.username());
		var accessToken = tokens.getOIDCTokens().getAccessToken();
		assertThat(accessToken.getValue()).doesNotContain(".");

		// Tokens are stored hashed: neither the access token nor the ID token is in the database.
		var stored = jdbc.sql("select access_token_value, oidc_id_token_value from oauth2_authorization where principal_name = :p")
			.param("p", ann.username())
			.query((rs, n) -> rs.getString(1) + " " + rs.getString(2))
			.list();
		assertThat(String.join(" ", stored)).doesNotContain(accessToken.getValue())
			.doesNotContain(tokens.getOIDCTokens().getIDTokenString())
			.contains("sha256:");

		var userInfo = UserInfoResponse.parse(new UserInfoRequest(provider.getUserInfoEndpointURI(), (BearerAccessToken) accessToken)
			.toHTTPRequest()
			.send());
		assertThat(userInfo.indicatesSuccess()).isTrue();
		assertThat(userInfo.toSuccessResponse().getUserInfo().getPreferredUsername()).isEqualTo(ann.username());

		// The app chats as the person, in the app workload class, on their plan, within its cap.
		var reply = openai(accessToken.getValue()).chat().completions().create(ask("Hello from Recipe Box"));
		assertThat(reply.choices().getFirst().message().content()).hasValue("Hello! You said: Hello from Recipe Box");
		assertThat(openai(accessToken.getValue()).models().list().data()).isNotEmpty();
		var source = plans.report(ann.id()).sources().stream().filter(s -> s.name().equals("Recipe Box")).findFirst().orElseThrow();
		assertThat(source.cap()).isEqualTo(50_000L);
		org.awaitility.Awaitility.await().until(() -> jdbc.sql(
				"select count(*) from ledger_entry where kind = 'settle' and workload = 'app' and token_id = :app")
			.param("app", UUID.fromString(app.registrationId()))
			.query(Long.class)
			.single() == 1);

		// A public app gets a refresh token too (it rotates on each use, and a reused one revokes the
		// sign-in: McpServerTests); signing in again needs no consent page.
		assertThat(tokens.getOIDCTokens().getRefreshToken()).isNotNull();
		var again = browser.get(request.toURI().toString());
		assertThat(WebSession.location(again)).startsWith(CALLBACK.toString()).contains("code=");

		// The person sees what it used on their connected apps page, and disconnects it: its tokens stop at once.
		var page = browser.get("/settings/apps");
		assertThat(page.body()).contains("Recipe Box").contains("Chat with your AI as you");
		assertThat(page.body().replaceAll("\\s+", " ")).containsPattern("Used [\\d,]+ tokens in 1 request this window");
		var revoked = browser.post("/settings/apps/" + app.clientId() + "/revoke", "_csrf", WebSession.csrf(page.body()));
		assertThat(WebSession.location(revoked)).endsWith("/settings/apps");
		assertThatThrownBy(() -> openai(accessToken.getValue()).chat().completions().create(ask("still?")))
			.isInstanceOf(UnauthorizedException.class);
		assertThat(WebSession.location(browser.get(request.toURI().toString()))).as("asks for consent again")
			.contains("/oauth2/consent");
	}

	@Test
	void aConfidentialAppIntrospectsAndRevokes() throws Exception {
		var registered = apps.register(null, "Travel Planner", List.of(CALLBACK.toString()), true, false, null);
		var app = registered.app();
		var secret = registered.secret();
		assertThat(secret).isNotNull();
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		var code = consent(browser, browser.get(authorize(app.clientId(), null, "openid familiar.assistant").toString()),
				List.of("familiar.assistant"), "");
		var tokens = token(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK), app.clientId(), secret);
		var accessToken = tokens.getOIDCTokens().getAccessToken();

		var auth = new ClientSecretBasic(new ClientID(app.clientId()), new Secret(secret));
		var introspection = TokenIntrospectionResponse.parse(new TokenIntrospectionRequest(provider.getIntrospectionEndpointURI(), auth,
				accessToken).toHTTPRequest().send());
		assertThat(introspection.indicatesSuccess()).as(() -> introspection.toErrorResponse().getErrorObject().toJSONObject().toString()).isTrue();
		assertThat(introspection.toSuccessResponse().isActive()).isTrue();
		assertThat(introspection.toSuccessResponse().getScope().toStringList()).contains("familiar.assistant");
		assertThat(introspection.toSuccessResponse().getSubject().getValue()).isEqualTo(ann.username());
		assertThat(introspection.toSuccessResponse().getClientID().getValue()).isEqualTo(app.clientId());

		// Refresh rotates: the new access token works, the old refresh token does not.
		var refreshed = token(new RefreshTokenGrant(tokens.getOIDCTokens().getRefreshToken()), app.clientId(), secret);
		assertThat(openai(refreshed.getOIDCTokens().getAccessToken().getValue()).chat().completions().create(ask("again"))
			.choices()).hasSize(1);
		assertThat(tokenError(new RefreshTokenGrant(tokens.getOIDCTokens().getRefreshToken()), app.clientId(), secret).getCode())
			.isEqualTo("invalid_grant");
		assertThatThrownBy(() -> openai(accessToken.getValue()).chat().completions().create(ask("old token")))
			.isInstanceOf(UnauthorizedException.class);

		// A replayed code is refused.
		assertThat(tokenError(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK), app.clientId(), secret).getCode())
			.isEqualTo("invalid_grant");
		// A wrong secret is refused.
		assertThat(tokenError(new RefreshTokenGrant(refreshed.getOIDCTokens().getRefreshToken()), app.clientId(), "wrong").getCode())
			.isEqualTo("invalid_client");

		var current = refreshed.getOIDCTokens().getAccessToken();
		var revocation = new TokenRevocationRequest(provider.getRevocationEndpointURI(), auth, current).toHTTPRequest().send();
		assertThat(revocation.getStatusCode()).isEqualTo(200);
		assertThatThrownBy(() -> openai(current.getValue()).chat().completions().create(ask("revoked?")))
			.isInstanceOf(UnauthorizedException.class);
		var after = TokenIntrospectionResponse.parse(new TokenIntrospectionRequest(provider.getIntrospectionEndpointURI(), auth,
				current).toHTTPRequest().send());
		assertThat(after.toSuccessResponse().isActive()).isFalse();
	}

	@Test
	void scopesDecideWhatAnAppMayDo() throws Exception {
		memory.remember(new Caller(ann.id(), ann.username(), null, org.familiar.compute.WorkloadClass.INTERACTIVE),
				"Is vegetarian.", null, MemorySource.MANUAL, null, null);
		var app = apps.register(null, "Meal Ideas", List.of(CALLBACK.toString()), true, false, null);
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");

		// Without familiar.memory.read: no memories in its replies, and /api/memories is closed to it.
		var code = consent(browser, browser.get(authorize(app.app().clientId(), null,
				"openid familiar.assistant familiar.memory.read").toString()), List.of("familiar.assistant"), "");
		var blind = token(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK), app.app().clientId(), app.secret())
			.getOIDCTokens().getAccessToken().getValue();
		var reply = openai(blind).chat().completions().withRawResponse().create(ask("What should I cook for dinner?"));
		assertThat(reply.headers().values("X-Familiar-Memories")).containsExactly("");
		assertThat(backend.systemPromptFor("What should I cook for dinner?")).doesNotContain("vegetarian");
		assertThat(api("/api/memories", blind).statusCode()).isEqualTo(403);

		// With it, after asking again: the memory shapes the reply and the app may list it.
		code = consent(browser, browser.get(authorize(app.app().clientId(), null,
				"openid familiar.assistant familiar.memory.read").toString()), List.of("familiar.assistant", "familiar.memory.read"), "");
		var seeing = token(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK), app.app().clientId(), app.secret())
			.getOIDCTokens().getAccessToken().getValue();
		var informed = openai(seeing).chat().completions().withRawResponse().create(ask("What should I cook for lunch?"));
		assertThat(informed.headers().values("X-Familiar-Memories").getFirst()).isNotEmpty();
		assertThat(backend.systemPromptFor("What should I cook for lunch?")).contains("Is vegetarian.");
		assertThat(api("/api/memories", seeing).body()).contains("Is vegetarian.");
		var write = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/memories"))
			.header("Authorization", "Bearer " + seeing)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"content\": \"Likes risotto.\"}"))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(write.statusCode()).as("no familiar.memory.write").isEqualTo(403);

		// Without familiar.assistant an app cannot chat at all.
		code = consent(browser, browser.get(authorize(app.app().clientId(), null, "openid profile").toString()), List.of("profile"), "");
		var profileOnly = token(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK), app.app().clientId(), app.secret())
			.getOIDCTokens().getAccessToken().getValue();
		assertThatThrownBy(() -> openai(profileOnly).chat().completions().create(ask("hi")))
			.isInstanceOf(PermissionDeniedException.class)
			.hasMessageContaining("familiar.assistant");
		assertThat(api("/api/usage", profileOnly).statusCode()).isEqualTo(403);
		assertThat(api("/api/usage", seeing).statusCode()).isEqualTo(200);
	}

	@Test
	void anAppWithTheResearchScopeSeesScoresButNeverAHeldOutSuitesItems() throws Exception {
		var suite = research.upload(ann.id(), "private set", new java.io.StringReader("""
				{"id": "q1", "input": "Which river runs through the secret valley?", "target": "Elm", "grader": "exact"}
				"""), true);
		var run = research.start(new Caller(ann.id(), ann.username(), null, org.familiar.compute.WorkloadClass.INTERACTIVE), suite,
				FakeModelServer.MODEL, null, 1);
		research.await(run);
		var app = apps.register(null, "Lab Notebook", List.of(CALLBACK.toString()), true, false, null);
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		var code = consent(browser, browser.get(authorize(app.app().clientId(), null, "openid familiar.research").toString()),
				List.of("familiar.research"), "");
		var token = token(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK), app.app().clientId(),
				app.secret()).getOIDCTokens().getAccessToken().getValue();

		assertThat(api("/api/research/suites", token).body()).contains(suite.toString());
		assertThat(api("/api/research/runs/" + run, token).statusCode()).isEqualTo(200);
		for (var path : List.of("/api/research/suites/" + suite + "/items", "/api/research/runs/" + run + "/results")) {
			var refused = api(path, token);
			assertThat(refused.statusCode()).as(path).isEqualTo(403);
			assertThat(refused.body()).contains("held out").doesNotContain("secret valley");
		}
		// Without the scope, an app gets nothing of research at all.
		code = consent(browser, browser.get(authorize(app.app().clientId(), null, "openid profile").toString()), List.of("profile"), "");
		var other = token(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK), app.app().clientId(),
				app.secret()).getOIDCTokens().getAccessToken().getValue();
		var closed = api("/api/research/suites", other);
		assertThat(closed.statusCode()).isEqualTo(403);
		assertThat(closed.body()).contains("familiar.research");
	}

	@Test
	void theCapChosenOnTheConsentPageHoldsTheAppBack() throws Exception {
		var app = apps.register(null, "Greedy App", List.of(CALLBACK.toString()), true, false, null);
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		var code = consent(browser, browser.get(authorize(app.app().clientId(), null, "openid familiar.assistant").toString()),
				List.of("familiar.assistant"), "10");
		var token = token(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK), app.app().clientId(), app.secret())
			.getOIDCTokens().getAccessToken().getValue();
		assertThatThrownBy(() -> openai(token).chat().completions().create(ask("Write me a long story")))
			.isInstanceOf(RateLimitException.class)
			.hasMessageContaining("cap");
	}

	@Test
	void aDeviceLinksWithACodeThePersonTypes() throws Exception {
		var app = apps.register(null, "Kitchen Speaker", List.of(), false, true, null).app();
		var started = DeviceAuthorizationResponse.parse(new DeviceAuthorizationRequest(provider.getDeviceAuthorizationEndpointURI(),
				new ClientID(app.clientId()), new Scope("familiar.assistant")).toHTTPRequest().send());
		assertThat(started.indicatesSuccess()).isTrue();
		var device = started.toSuccessResponse();
		assertThat(device.getVerificationURI().toString()).endsWith("/activate");
		var grant = new DeviceCodeGrant(device.getDeviceCode());
		assertThat(tokenError(grant, app.clientId(), null).getCode()).isEqualTo("authorization_pending");

		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		assertThat(browser.get("/activate").body()).contains("Type the code your device shows");
		var wrong = browser.get("/oauth2/device_verification?user_code=WRONG-CODE");
		assertThat(WebSession.location(wrong)).contains("/activate?error");
		var verification = browser.get("/oauth2/device_verification?user_code=" + device.getUserCode().getValue());
		var consentUrl = WebSession.location(verification);
		assertThat(consentUrl).contains("/oauth2/consent");
		var page = browser.get(consentUrl);
		assertThat(page.body()).contains("Kitchen Speaker").contains(device.getUserCode().getValue());
		assertThat(browser.post("/oauth2/device_verification", "client_id", app.clientId(), "state",
				WebSession.field(page.body(), "state"), "user_code", device.getUserCode().getValue(), "scope",
				"familiar.assistant").statusCode()).as("a consent without the page's CSRF token").isEqualTo(403);
		var approved = browser.post("/oauth2/device_verification", "client_id", app.clientId(), "state",
				WebSession.field(page.body(), "state"), "user_code", device.getUserCode().getValue(), "scope", "familiar.assistant",
				"_csrf", WebSession.csrf(page.body()));
		assertThat(WebSession.location(approved)).endsWith("/activated");

		// The attack: the person has approved this device app once; another device of the same app
		// (the attacker's) gets a code, and the person's browser is made to open its verification link
		// from another site. That shows the consent page and approves nothing.
		var attacker = DeviceAuthorizationResponse.parse(new DeviceAuthorizationRequest(provider.getDeviceAuthorizationEndpointURI(),
				new ClientID(app.clientId()), new Scope("familiar.assistant")).toHTTPRequest().send()).toSuccessResponse();
		var link = browser.get("/oauth2/device_verification?user_code=" + attacker.getUserCode().getValue());
		assertThat(WebSession.location(link)).contains("/oauth2/consent");
		var shown = browser.get(WebSession.location(link));
		assertThat(shown.body()).contains("Kitchen Speaker").contains(attacker.getUserCode().getValue())
			.contains("(already allowed)").contains("id=\"allow\"");
		// A forged consent (right state, read off nothing but guessed fields) without the CSRF token fails too.
		assertThat(browser.post("/oauth2/device_verification", "client_id", app.clientId(), "state",
				WebSession.field(shown.body(), "state"), "user_code", attacker.getUserCode().getValue(), "scope",
				"familiar.assistant").statusCode()).isEqualTo(403);
		assertThat(tokenError(new DeviceCodeGrant(attacker.getDeviceCode()), app.clientId(), null).getCode())
			.as("the attacker's device has no token").isEqualTo("authorization_pending");

		var tokens = token(grant, app.clientId(), null);
		assertThat(openai(tokens.getOIDCTokens().getAccessToken().getValue()).chat().completions().create(ask("Timer for eggs"))
			.choices()).hasSize(1);
		// A device code is good for one exchange; Spring Authorization Server answers a second with access_denied.
		assertThat(tokenError(grant, app.clientId(), null).getCode()).isEqualTo("access_denied");
		assertThat(tokenError(new DeviceCodeGrant(new DeviceCode("made-up")), app.clientId(), null).getCode()).isEqualTo("invalid_grant");

		// A device code nobody approved in time expires.
		var late = DeviceAuthorizationResponse.parse(new DeviceAuthorizationRequest(provider.getDeviceAuthorizationEndpointURI(),
				new ClientID(app.clientId()), new Scope("familiar.assistant")).toHTTPRequest().send()).toSuccessResponse();
		jdbc.sql("""
				update oauth2_authorization set device_code_issued_at = :issued, device_code_expires_at = :past,
				  user_code_issued_at = :issued, user_code_expires_at = :past
				where device_code_value is not null and access_token_value is null and registered_client_id = :id""")
			.param("issued", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusMinutes(11))
			.param("past", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusMinutes(1))
			.param("id", app.registrationId())
			.update();
		assertThat(tokenError(new DeviceCodeGrant(late.getDeviceCode()), app.clientId(), null).getCode()).isEqualTo("expired_token");
		assertThat(browser.get("/settings/apps").body()).contains("Kitchen Speaker");
	}

	@Test
	void aRegistrarRegistersAnAppDynamicallyThatThenWorksLikeAnyOther() throws Exception {
		var registrar = apps.registerRegistrar(null, "Provisioning script");
		var auth = new ClientSecretBasic(new ClientID(registrar.app().clientId()), new Secret(registrar.secret()));
		var granted = TokenResponse.parse(new TokenRequest(provider.getTokenEndpointURI(), auth, new ClientCredentialsGrant(),
				new Scope(ConnectedApps.CLIENT_CREATE)).toHTTPRequest().send());
		assertThat(granted.indicatesSuccess()).isTrue();
		var registrarToken = granted.toSuccessResponse().getTokens().getBearerAccessToken();
		// A registrar gets nothing but client.create.
		var greedy = TokenResponse.parse(new TokenRequest(provider.getTokenEndpointURI(), auth, new ClientCredentialsGrant(),
				new Scope("familiar.assistant")).toHTTPRequest().send());
		assertThat(greedy.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_scope");

		var metadata = new OIDCClientMetadata();
		metadata.setName("Dynamic Diary");
		metadata.setRedirectionURI(CALLBACK);
		metadata.setGrantTypes(java.util.Set.of(GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN, GrantType.CLIENT_CREDENTIALS));
		metadata.setTokenEndpointAuthMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC);
		var response = OIDCClientRegistrationResponseParser.parse(new OIDCClientRegistrationRequest(
				provider.getRegistrationEndpointURI(), metadata, registrarToken).toHTTPRequest().send());
		assertThat(response.indicatesSuccess()).as(() -> response.toErrorResponse().getErrorObject().toString()).isTrue();
		var client = ((OIDCClientInformationResponse) response).getOIDCClientInformation();
		var clientId = client.getID().getValue();
		var secret = client.getSecret().getValue();
		var registered = apps.app(clientId).orElseThrow();
		assertThat(registered.name()).isEqualTo("Dynamic Diary");
		assertThat(registered.confidential()).isTrue();

		// It works like an app registered on the page: consent, code, tokens, chat, but no client credentials.
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		var code = consent(browser, browser.get(authorize(clientId, null, "openid familiar.assistant").toString()),
				List.of("familiar.assistant"), "");
		var tokens = token(new AuthorizationCodeGrant(code.toSuccessResponse().getAuthorizationCode(), CALLBACK), clientId, secret);
		assertThat(openai(tokens.getOIDCTokens().getAccessToken().getValue()).chat().completions().create(ask("Dear diary"))
			.choices()).hasSize(1);
		var machine = TokenResponse.parse(new TokenRequest(provider.getTokenEndpointURI(),
				new ClientSecretBasic(new ClientID(clientId), new Secret(secret)), new ClientCredentialsGrant(), null).toHTTPRequest().send());
		assertThat(machine.indicatesSuccess()).isFalse();

		// Registering needs a registrar's token: a person's app token will not do, nor an insecure redirect URI.
		var stranger = new OIDCClientRegistrationRequest(provider.getRegistrationEndpointURI(), metadata,
				tokens.getOIDCTokens().getBearerAccessToken()).toHTTPRequest().send();
		assertThat(stranger.getStatusCode()).isEqualTo(403);
		var insecure = new OIDCClientMetadata();
		insecure.setName("Leaky");
		insecure.setRedirectionURI(URI.create("http://leaky.example/callback"));
		// A client.create token registers one app; the next registration needs a new one.
		var used = new OIDCClientRegistrationRequest(provider.getRegistrationEndpointURI(), metadata, registrarToken)
			.toHTTPRequest().send();
		assertThat(used.getStatusCode()).isEqualTo(401);
		var fresh = TokenResponse.parse(new TokenRequest(provider.getTokenEndpointURI(), auth, new ClientCredentialsGrant(),
				new Scope(ConnectedApps.CLIENT_CREATE)).toHTTPRequest().send()).toSuccessResponse().getTokens().getBearerAccessToken();
		var refused = OIDCClientRegistrationResponseParser.parse(new OIDCClientRegistrationRequest(
				provider.getRegistrationEndpointURI(), insecure, fresh).toHTTPRequest().send());
		assertThat(refused.indicatesSuccess()).isFalse();
		assertThat(refused.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_redirect_uri");
	}

	@Test
	void badRequestsGetTheRightOAuthErrors() throws Exception {
		var app = apps.register(null, "Strict App", List.of(CALLBACK.toString()), false, false, null).app();
		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		// Unknown client and unregistered redirect URI: an error here, never a redirect to the stranger.
		var unknown = browser.get(authorize("nobody", null, "openid").toString());
		assertThat(unknown.statusCode()).isEqualTo(400);
		var elsewhere = browser.get(new AuthenticationRequest.Builder(new ResponseType(ResponseType.Value.CODE), new Scope("openid"),
				new ClientID(app.clientId()), URI.create("https://evil.example/steal"))
			.state(new State())
			.codeChallenge(new CodeVerifier(), CodeChallengeMethod.S256)
			.endpointURI(provider.getAuthorizationEndpointURI())
			.build()
			.toURI()
			.toString());
		assertThat(elsewhere.statusCode()).isEqualTo(400);
		assertThat(elsewhere.headers().firstValue("Location")).isEmpty();
		// A public client without PKCE is sent back with an error.
		var noPkce = browser.get(new AuthenticationRequest.Builder(new ResponseType(ResponseType.Value.CODE), new Scope("openid"),
				new ClientID(app.clientId()), CALLBACK).state(new State()).endpointURI(provider.getAuthorizationEndpointURI()).build()
			.toURI()
			.toString());
		assertThat(WebSession.location(noPkce)).startsWith(CALLBACK.toString()).contains("error=invalid_request");
		// A tampered access token.
		assertThatThrownBy(() -> openai("AbCdEf" + UUID.randomUUID()).chat().completions().create(ask("hi")))
			.isInstanceOf(UnauthorizedException.class);
		// A device code for a client that is not a device client (the server refuses the grant).
		var notDevice = DeviceAuthorizationResponse.parse(new DeviceAuthorizationRequest(provider.getDeviceAuthorizationEndpointURI(),
				new ClientID(app.clientId()), new Scope("familiar.assistant")).toHTTPRequest().send());
		assertThat(notDevice.indicatesSuccess()).isFalse();
		assertThat(notDevice.toErrorResponse().getErrorObject().getCode()).isEqualTo("invalid_grant");
	}

	// ---- helpers

	private URI authorize(String clientId, @Nullable CodeVerifier verifier, String scope) {
		return new AuthenticationRequest.Builder(new ResponseType(ResponseType.Value.CODE), Scope.parse(scope), new ClientID(clientId),
				CALLBACK)
			.state(new State())
			.nonce(new Nonce())
			.codeChallenge(verifier, verifier == null ? null : CodeChallengeMethod.S256)
			.endpointURI(provider.getAuthorizationEndpointURI())
			.build()
			.toURI();
	}

	/** Follows the authorization request to the consent page, approves {@code scopes} and returns the code. */
	private AuthorizationResponse consent(WebSession browser, HttpResponse<String> authorization, List<String> scopes, String cap)
			throws Exception {
		var consentUrl = WebSession.location(authorization);
		assertThat(consentUrl).contains("/oauth2/consent");
		var page = browser.get(consentUrl);
		assertThat(page.statusCode()).isEqualTo(200);
		var form = new java.util.ArrayList<>(List.of("client_id", WebSession.field(page.body(), "client_id"), "state",
				WebSession.field(page.body(), "state"), "familiar_cap", cap));
		// Without the page's CSRF token the same consent is refused.
		assertThat(browser.post("/oauth2/authorize", form.toArray(String[]::new)).statusCode()).isEqualTo(403);
		form.add("_csrf");
		form.add(WebSession.csrf(page.body()));
		scopes.forEach(scope -> {
			form.add("scope");
			form.add(scope);
		});
		var done = browser.post("/oauth2/authorize", form.toArray(String[]::new));
		return AuthorizationResponse.parse(URI.create(WebSession.location(done)));
	}

	private OIDCTokenResponse token(AuthorizationGrant grant, String clientId, @Nullable String secret) throws Exception {
		var response = send(grant, clientId, secret);
		assertThat(response.indicatesSuccess()).as(() -> response.toErrorResponse().getErrorObject().toString()).isTrue();
		return (OIDCTokenResponse) response.toSuccessResponse();
	}

	private ErrorObject tokenError(AuthorizationGrant grant, String clientId, @Nullable String secret) throws Exception {
		var response = send(grant, clientId, secret);
		assertThat(response.indicatesSuccess()).isFalse();
		return response.toErrorResponse().getErrorObject();
	}

	private TokenResponse send(AuthorizationGrant grant, String clientId, @Nullable String secret) throws Exception {
		var request = secret == null ? new TokenRequest(provider.getTokenEndpointURI(), new ClientID(clientId), grant)
				: new TokenRequest(provider.getTokenEndpointURI(), new ClientSecretBasic(new ClientID(clientId), new Secret(secret)), grant);
		return OIDCTokenResponseParser.parse(request.toHTTPRequest().send());
	}

	private com.openai.client.OpenAIClient openai(String token) {
		return OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1").apiKey(token).maxRetries(0).build();
	}

	private static ChatCompletionCreateParams ask(String text) {
		return ChatCompletionCreateParams.builder().model(FakeModelServer.MODEL).addUserMessage(text).build();
	}

	private HttpResponse<String> api(String path, String token) throws Exception {
		return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Authorization", "Bearer " + token)
			.build(), HttpResponse.BodyHandlers.ofString());
	}
}
