package org.familiar.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.oauth.HashedAuthorizations;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationConsentService;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.settings.OAuth2TokenFormat;
import org.springframework.security.oauth2.server.authorization.settings.TokenSettings;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Sign in with Familiar: the apps developers register, the apps a person connected, and the
 * access tokens those apps call Familiar with.
 *
 * <p>App access tokens are opaque (reference) tokens looked up by hash, so a revoked one stops at
 * once: on this replica immediately, on others within {@link #TOKEN_CACHE}.
 */
@Service
public class ConnectedApps {

	static final Duration TOKEN_CACHE = Duration.ofSeconds(10);

	/** The scopes every app may ask for. */
	public static final Set<String> SCOPES = Set.of(Scopes.OPENID, Scopes.PROFILE, Scopes.EMAIL, Scopes.ASSISTANT,
			Scopes.MEMORY_READ, Scopes.MEMORY_WRITE, Scopes.RESEARCH, Scopes.NOTIFY);

	/** The scopes a device app may ask for: an app's, and being a device. */
	public static final Set<String> DEVICE_SCOPES = java.util.stream.Stream
		.concat(SCOPES.stream(), java.util.stream.Stream.of(Scopes.DEVICE))
		.collect(java.util.stream.Collectors.toUnmodifiableSet());

	private final RegisteredClientRepository clients;

	private final HashedAuthorizations authorizations;

	private final OAuth2AuthorizationConsentService consents;

	private final JdbcClient jdbc;

	private final PasswordEncoder passwords;

	private final People people;

	private final ApplicationEventPublisher events;

	private final Clock clock;

	private final SecureRandom random = new SecureRandom();

	private final org.familiar.compute.Broadcasts broadcasts;

	private final GuessThrottle throttle;

	/** The topic on which replicas tell each other that an app's tokens or consents changed. */
	static final String APPS_CHANGED = "identity.apps";

	private final Cache<String, Optional<Caller>> callers = Caffeine.newBuilder()
		.maximumSize(100_000)
		.expireAfterWrite(TOKEN_CACHE)
		.build();

	ConnectedApps(RegisteredClientRepository clients, HashedAuthorizations authorizations,
			OAuth2AuthorizationConsentService consents, JdbcClient jdbc, PasswordEncoder passwords, People people,
			ApplicationEventPublisher events, Clock clock, org.familiar.compute.Broadcasts broadcasts, GuessThrottle throttle) {
		this.clients = clients;
		this.authorizations = authorizations;
		this.consents = consents;
		this.jdbc = jdbc;
		this.passwords = passwords;
		this.people = people;
		this.events = events;
		this.clock = clock;
		this.broadcasts = broadcasts;
		this.throttle = throttle;
		broadcasts.subscribe(APPS_CHANGED, any -> callers.invalidateAll());
		authorizations.onChange(() -> broadcasts.publish(APPS_CHANGED, ""));
	}

	/** Every app's tokens: opaque access tokens for an hour, refresh tokens for 30 days. */
	private static final TokenSettings TOKENS = TokenSettings.builder()
		.accessTokenFormat(OAuth2TokenFormat.REFERENCE)
		.accessTokenTimeToLive(Duration.ofHours(1))
		.refreshTokenTimeToLive(Duration.ofDays(30))
		// Stored refresh tokens are hashes, so they must rotate: see HashedAuthorizations.
		.reuseRefreshTokens(false)
		.deviceCodeTimeToLive(Duration.ofMinutes(10))
		.build();

	/** The scope a registrar's token needs to register apps dynamically (OpenID Connect Dynamic Client Registration). */
	public static final String CLIENT_CREATE = "client.create";

	/** A public app's settings: consent and PKCE required. */
	public static ClientSettings publicClientSettings() {
		return clientSettings(false);
	}

	/** Every app's token settings (opaque, rotating refresh tokens). */
	public static TokenSettings tokenSettings() {
		return TOKENS;
	}

	/**
	 * @throws InvalidAccountException unless each URI is absolute, https (or http on loopback), without fragment
	 */
	public static void checkRedirectUris(List<String> uris) {
		checkRedirects(uris);
	}

	private static ClientSettings clientSettings(boolean confidential) {
		return ClientSettings.builder().requireAuthorizationConsent(true).requireProofKey(!confidential).build();
	}

	/**
	 * Registers a registrar: a confidential client that may only get {@code client.create} tokens
	 * (client credentials) and register apps at {@code /connect/register}, for developers who
	 * provision apps from code.
	 */
	@Transactional
	public RegisteredApp registerRegistrar(@Nullable PersonId owner, String name) {
		var secretBytes = new byte[32];
		random.nextBytes(secretBytes);
		var secret = "fam_secret_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
		var bytes = new byte[8];
		random.nextBytes(bytes);
		var client = RegisteredClient.withId(UUID.randomUUID().toString())
			.clientId("fam-registrar-" + HexFormat.of().formatHex(bytes))
			.clientName(name.strip().isEmpty() ? "registrar" : name.strip())
			.clientIdIssuedAt(clock.instant())
			.clientSecret(passwords.encode(secret))
			.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
			.authorizationGrantType(AuthorizationGrantType.CLIENT_CREDENTIALS)
			.scope(CLIENT_CREATE)
			.tokenSettings(TOKENS)
			.build();
		clients.save(client);
		return new RegisteredApp(recordOwner(client, owner, null), secret);
	}

	/**
	 * Turns a dynamic registration into an app like any other: Familiar's scopes only, consent and
	 * (for public apps) PKCE required, opaque rotating tokens, no client credentials grant.
	 * @throws OAuth2AuthenticationException ({@code invalid_redirect_uri}) for a redirect URI Familiar does not accept
	 */
	public RegisteredClient fromRegistration(org.springframework.security.oauth2.server.authorization.oidc.OidcClientRegistration registration) {
		var converted = new org.springframework.security.oauth2.server.authorization.oidc.converter.OidcClientRegistrationRegisteredClientConverter()
			.convert(registration);
		try {
			checkRedirects(List.copyOf(converted.getRedirectUris()));
			checkRedirects(List.copyOf(converted.getPostLogoutRedirectUris()));
		}
		catch (InvalidAccountException ex) {
			throw new org.springframework.security.oauth2.core.OAuth2AuthenticationException(
					new org.springframework.security.oauth2.core.OAuth2Error("invalid_redirect_uri", ex.getMessage(), null));
		}
		if (cleanName(converted.getClientName() == null ? "" : converted.getClientName()) == null) {
			throw new org.springframework.security.oauth2.core.OAuth2AuthenticationException(
					new org.springframework.security.oauth2.core.OAuth2Error("invalid_client_metadata", NAME_RULE, null));
		}
		var confidential = !converted.getClientAuthenticationMethods().contains(ClientAuthenticationMethod.NONE);
		var requested = converted.getScopes().stream().filter(SCOPES::contains).toList();
		var client = RegisteredClient.from(converted)
			.scopes(scopes -> {
				scopes.clear();
				scopes.addAll(requested.isEmpty() ? SCOPES : requested);
			})
			.authorizationGrantTypes(grants -> grants.removeIf(grant -> !grant.equals(AuthorizationGrantType.AUTHORIZATION_CODE)
					&& !grant.equals(AuthorizationGrantType.REFRESH_TOKEN)))
			.clientSettings(clientSettings(confidential))
			.tokenSettings(TOKENS)
			.build();
		recordOwner(client, null, null);
		return client;
	}

	private static final String NAME_RULE = "client_name has 1 to 100 characters, none of them control characters.";

	/**
	 * An app's name stripped, or {@code null} if it is empty, longer than 100 characters or holds a
	 * control character (a NUL, which PostgreSQL cannot store, a line break that would forge a line
	 * on the consent page) or a lone surrogate.
	 */
	private static @Nullable String cleanName(String name) {
		var clean = name.strip();
		if (clean.isEmpty() || clean.length() > 100 || clean.chars().anyMatch(Character::isISOControl)
				|| !java.nio.charset.StandardCharsets.UTF_8.newEncoder().canEncode(clean)) {
			return null;
		}
		return clean;
	}

	private AppRegistration recordOwner(RegisteredClient client, @Nullable PersonId owner, @Nullable String logo) {
		return recordOwner(client, owner, logo, AppRegistration.BY_DEVELOPER);
	}

	private AppRegistration recordOwner(RegisteredClient client, @Nullable PersonId owner, @Nullable String logo, String origin) {
		var now = clock.instant();
		jdbc.sql("""
				insert into app_registration (registered_client_id, owner_id, logo_uri, created_at, registered_by, fetched_at)
				values (:id, :owner, :logo, :at, :origin, :fetched)""")
			.param("id", client.getId())
			.param("owner", owner == null ? null : owner.value())
			.param("logo", logo)
			.param("at", now.atOffset(ZoneOffset.UTC))
			.param("origin", origin)
			.param("fetched", AppRegistration.BY_DOCUMENT.equals(origin) ? now.atOffset(ZoneOffset.UTC) : null)
			.update();
		return registration(client, owner, logo, now, origin);
	}

	/** A newly registered app and its secret, which is shown this once and stored only hashed. */
	public record RegisteredApp(AppRegistration app, @Nullable String secret) {
	}

	/**
	 * Registers an app.
	 * @param owner who registers it, {@code null} for the operator
	 * @param confidential whether it gets a secret (server-side apps); public apps must use PKCE
	 * @param device whether it may use the device flow (RFC 8628)
	 * @throws InvalidAccountException if the name, a redirect URI or the logo URI is not acceptable
	 */
	@Transactional
	public RegisteredApp register(@Nullable PersonId owner, String name, List<String> redirectUris, boolean confidential,
			boolean device, @Nullable String logoUri) {
		var cleanName = cleanName(name);
		if (cleanName == null) {
			throw new InvalidAccountException("An app's name has 1 to 100 characters, none of them control characters.");
		}
		var uris = redirectUris.stream().map(String::strip).filter(u -> !u.isEmpty()).distinct().toList();
		checkRedirects(uris);
		if (uris.isEmpty() && !device) {
			throw new InvalidAccountException("Give at least one redirect URI, or make it a device app.");
		}
		var logo = logoUri == null || logoUri.isBlank() ? null : logoUri.strip();
		if (logo != null && !(logo.startsWith("https://") || logo.startsWith("http://")) || logo != null && logo.length() > 500) {
			throw new InvalidAccountException("The logo must be an http(s) URL of at most 500 characters.");
		}
		var bytes = new byte[8];
		random.nextBytes(bytes);
		var clientId = "fam-app-" + HexFormat.of().formatHex(bytes);
		String secret = null;
		var builder = RegisteredClient.withId(UUID.randomUUID().toString())
			.clientId(clientId)
			.clientName(cleanName)
			.clientIdIssuedAt(clock.instant())
			.scopes(scopes -> scopes.addAll(device ? DEVICE_SCOPES : SCOPES))
			.redirectUris(list -> list.addAll(uris))
			.clientSettings(clientSettings(confidential))
			.tokenSettings(TOKENS);
		if (!uris.isEmpty()) {
			builder.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE);
		}
		builder.authorizationGrantType(AuthorizationGrantType.REFRESH_TOKEN);
		if (device) {
			builder.authorizationGrantType(AuthorizationGrantType.DEVICE_CODE);
		}
		if (confidential) {
			var secretBytes = new byte[32];
			random.nextBytes(secretBytes);
			secret = "fam_secret_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
			builder.clientSecret(passwords.encode(secret))
				.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
				.clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_POST);
		}
		else {
			builder.clientAuthenticationMethod(ClientAuthenticationMethod.NONE);
		}
		var client = builder.build();
		clients.save(client);
		return new RegisteredApp(recordOwner(client, owner, logo), secret);
	}

	/** How long an app that registered itself may wait for a first person to connect it before it is deleted. */
	static final Duration UNUSED_REGISTRATION = Duration.ofHours(24);

	/**
	 * Open dynamic registration (RFC 7591) for public apps, as MCP hosts do it: no initial token, no
	 * secret; PKCE, consent and rotating refresh tokens as for any public app; Familiar's scopes only,
	 * never a device's. Such an app is shown as unverified on the consent page (nobody vouches for
	 * its name), is limited per address and overall, and is deleted if nobody connects it within
	 * {@link #UNUSED_REGISTRATION}.
	 * @throws InvalidAccountException if the name or a redirect URI is not acceptable
	 * @throws GuessesThrottledException if {@code address} (or everyone) registered too many just now
	 */
	@Transactional
	public AppRegistration registerItself(String name, List<String> redirectUris, @Nullable Set<String> scopes,
			String address) {
		var cleanName = cleanName(name);
		if (cleanName == null) {
			throw new InvalidAccountException(NAME_RULE);
		}
		var uris = redirectUris.stream().map(String::strip).filter(u -> !u.isEmpty()).distinct().toList();
		if (uris.isEmpty()) {
			throw new InvalidAccountException("redirect_uris must name at least one URI.");
		}
		checkRedirects(uris);
		var wait = throttle.registration(address);
		if (wait.isPositive()) {
			throw new GuessesThrottledException(wait, "Too many apps registered themselves from this address (or from everywhere) just now");
		}
		expireUnused();
		var granted = scopes == null ? List.<String>of() : scopes.stream().filter(SCOPES::contains).toList();
		var bytes = new byte[8];
		random.nextBytes(bytes);
		var client = RegisteredClient.withId(UUID.randomUUID().toString())
			.clientId("fam-app-" + HexFormat.of().formatHex(bytes))
			.clientName(cleanName)
			.clientIdIssuedAt(clock.instant())
			.scopes(list -> list.addAll(granted.isEmpty() ? SCOPES : granted))
			.redirectUris(list -> list.addAll(uris))
			.clientSettings(clientSettings(false))
			.tokenSettings(TOKENS)
			.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
			.authorizationGrantType(AuthorizationGrantType.REFRESH_TOKEN)
			.clientAuthenticationMethod(ClientAuthenticationMethod.NONE)
			.build();
		clients.save(client);
		return recordOwner(client, null, null, AppRegistration.BY_ITSELF);
	}

	/** Deletes the apps that registered themselves and that nobody connected in {@link #UNUSED_REGISTRATION}. */
	@Transactional
	@org.springframework.scheduling.annotation.Scheduled(fixedDelay = 1, initialDelay = 1, timeUnit = java.util.concurrent.TimeUnit.HOURS)
	public int expireUnused() {
		var before = clock.instant().minus(UNUSED_REGISTRATION).atOffset(ZoneOffset.UTC);
		var unused = jdbc.sql("""
				select r.registered_client_id from app_registration r
				where r.registered_by = 'self' and r.created_at < :before
				and not exists (select 1 from oauth2_authorization_consent c where c.registered_client_id = r.registered_client_id)
				and not exists (select 1 from oauth2_authorization a where a.registered_client_id = r.registered_client_id)""")
			.param("before", before)
			.query(String.class)
			.list();
		unused.forEach(this::deleteRegistration);
		return unused.size();
	}

	/** The scopes an app may ask for, sorted; none for an unknown app. */
	public List<String> scopes(String clientId) {
		var client = clients.findByClientId(clientId);
		return client == null ? List.of() : client.getScopes().stream().sorted().toList();
	}

	/** The apps a person registered, newest first. */
	public List<AppRegistration> registeredBy(PersonId owner) {
		return jdbc.sql("select registered_client_id, logo_uri, created_at, registered_by from app_registration where owner_id = :owner order by created_at desc")
			.param("owner", owner.value())
			.query((rs, n) -> new Object[] { rs.getString(1), rs.getString(2), rs.getObject(3, OffsetDateTime.class), rs.getString(4) })
			.list()
			.stream()
			.map(row -> {
				var client = clients.findById((String) row[0]);
				return client == null ? null
						: registration(client, owner, (String) row[1], ((OffsetDateTime) row[2]).toInstant(), (String) row[3]);
			})
			.filter(java.util.Objects::nonNull)
			.toList();
	}

	public Optional<AppRegistration> app(String clientId) {
		var client = clients.findByClientId(clientId);
		if (client == null) {
			return Optional.empty();
		}
		return jdbc.sql("select owner_id, logo_uri, created_at, registered_by from app_registration where registered_client_id = :id")
			.param("id", client.getId())
			.query((rs, n) -> {
				var owner = rs.getObject(1, UUID.class);
				return registration(client, owner == null ? null : new PersonId(owner), rs.getString(2),
						rs.getObject(3, OffsetDateTime.class).toInstant(), rs.getString(4));
			})
			.optional();
	}

	/** An app a person connected, what they allowed it and when it last got a token. */
	public record Connection(AppRegistration app, Set<String> scopes, @Nullable Instant lastTokenAt) {
	}

	/** The apps and devices the person connected (consented to), by name. */
	public List<Connection> connected(PersonId person) {
		var username = people.byId(person).map(Person::username).orElse("");
		var result = new ArrayList<Connection>();
		for (var row : jdbc.sql("select registered_client_id, authorities from oauth2_authorization_consent where principal_name = :name")
			.param("name", username)
			.query((rs, n) -> new String[] { rs.getString(1), rs.getString(2) })
			.list()) {
			var client = clients.findById(row[0]);
			if (client == null) {
				continue;
			}
			var scopes = new java.util.TreeSet<String>();
			for (var authority : row[1].split(",")) {
				if (authority.startsWith("SCOPE_")) {
					scopes.add(authority.substring("SCOPE_".length()));
				}
			}
			var last = jdbc.sql("select max(access_token_issued_at) from oauth2_authorization where registered_client_id = :id and principal_name = :name")
				.param("id", client.getId())
				.param("name", username)
				.query((rs, n) -> rs.getObject(1, OffsetDateTime.class))
				.optional()
				.map(OffsetDateTime::toInstant)
				.orElse(null);
			app(client.getClientId()).ifPresent(app -> result.add(new Connection(app, scopes, last)));
		}
		result.sort(java.util.Comparator.comparing(c -> c.app().name()));
		return result;
	}

	/**
	 * Disconnects an app: the person's consent and every token the app holds for them are deleted,
	 * so its tokens stop working at once.
	 * @return whether the person had connected it
	 */
	@Transactional
	public boolean revoke(PersonId person, String clientId) {
		var client = clients.findByClientId(clientId);
		var username = people.byId(person).map(Person::username).orElse(null);
		if (client == null || username == null) {
			return false;
		}
		var consent = consents.findById(client.getId(), username);
		if (consent != null) {
			consents.remove(consent);
		}
		int removed = authorizations.removeAll(client.getId(), username);
		broadcasts.publish(APPS_CHANGED, "");
		if (consent == null && removed == 0) {
			return false;
		}
		events.publishEvent(new AppRevoked(person, clientId));
		return true;
	}

	/** The caller an app's access token stands for, if it is active and the person still exists. */
	public Optional<Caller> authenticate(String accessToken) {
		return callers.get(accessToken, this::lookUp);
	}

	private Optional<Caller> lookUp(String accessToken) {
		var authorization = authorizations.findByToken(accessToken, OAuth2TokenType.ACCESS_TOKEN);
		if (authorization == null || authorization.getAccessToken() == null || !authorization.getAccessToken().isActive()) {
			return Optional.empty();
		}
		var client = clients.findById(authorization.getRegisteredClientId());
		var person = people.byUsername(authorization.getPrincipalName()).map(People.Row::person);
		if (client == null || person.isEmpty()) {
			return Optional.empty();
		}
		var scopes = authorization.getAccessToken().getToken().getScopes();
		return Optional.of(new Caller(person.get().id(), person.get().username(),
				new TokenId(UUID.fromString(client.getId())), WorkloadClass.APP,
				new Caller.ConnectedApp(client.getId(), client.getClientId(), client.getClientName(), scopes,
						authorization.getId(), ProtectedResources.audience(
								authorization.getAccessToken().getClaims() == null ? Map.of() : authorization.getAccessToken().getClaims(),
								client.getClientId()))));
	}

	/** Deletes every consent and token the person gave apps, and the apps they registered (account deletion). */
	void erase(Person person) {
		jdbc.sql("delete from oauth2_authorization where principal_name = :name").param("name", person.username()).update();
		jdbc.sql("delete from oauth2_authorization_consent where principal_name = :name").param("name", person.username()).update();
		jdbc.sql("delete from linked_device where person_id = :person").param("person", person.id().value()).update();
		for (var app : registeredBy(person.id())) {
			deleteRegistration(app.registrationId());
		}
		broadcasts.publish(APPS_CHANGED, "");
	}

	private void deleteRegistration(String registrationId) {
		jdbc.sql("delete from oauth2_authorization where registered_client_id = :id").param("id", registrationId).update();
		jdbc.sql("delete from oauth2_authorization_consent where registered_client_id = :id").param("id", registrationId).update();
		jdbc.sql("delete from app_registration where registered_client_id = :id").param("id", registrationId).update();
		jdbc.sql("delete from oauth2_registered_client where id = :id").param("id", registrationId).update();
	}

	/**
	 * Deletes an app its developer registered: every person's consent and every token it holds
	 * stop at once, and sign-in with it is refused from then on.
	 * @return false if the person registered no such app
	 */
	@Transactional
	public boolean delete(PersonId owner, String clientId) {
		var app = registeredBy(owner).stream().filter(a -> a.clientId().equals(clientId)).findFirst();
		app.ifPresent(found -> {
			deleteRegistration(found.registrationId());
			broadcasts.publish(APPS_CHANGED, "");
		});
		return app.isPresent();
	}

	/**
	 * Gives a server-side app a new client secret (the only copy is returned); the old one stops
	 * working at once, tokens issued before stay valid until they expire.
	 * @throws InvalidAccountException if the person registered no such server-side app
	 */
	@Transactional
	public String rotateSecret(PersonId owner, String clientId) {
		var app = registeredBy(owner).stream().filter(a -> a.clientId().equals(clientId)).findFirst()
			.orElseThrow(() -> new InvalidAccountException("You registered no app with that client id."));
		if (!app.confidential()) {
			throw new InvalidAccountException("A public app has no secret: it proves itself with PKCE.");
		}
		var client = java.util.Objects.requireNonNull(clients.findById(app.registrationId()));
		var secretBytes = new byte[32];
		random.nextBytes(secretBytes);
		var secret = "fam_secret_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
		clients.save(RegisteredClient.from(client).clientSecret(passwords.encode(secret)).build());
		return secret;
	}

	private static AppRegistration registration(RegisteredClient client, @Nullable PersonId owner, @Nullable String logo,
			Instant createdAt, String origin) {
		return new AppRegistration(client.getId(), client.getClientId(), client.getClientName(),
				List.copyOf(client.getRedirectUris()),
				!client.getClientAuthenticationMethods().contains(ClientAuthenticationMethod.NONE),
				client.getAuthorizationGrantTypes().contains(AuthorizationGrantType.DEVICE_CODE), logo, owner, createdAt, origin);
	}

	/** Each URI acceptable, and all of them together within what is stored (1,000 characters). */
	private static void checkRedirects(List<String> uris) {
		uris.forEach(ConnectedApps::checkRedirect);
		if (String.join(",", uris).length() > 1000) {
			throw new InvalidAccountException("The redirect URIs come to more than 1,000 characters; register fewer.");
		}
	}

	private static void checkRedirect(String uri) {
		try {
			var parsed = new URI(uri);
			if (!parsed.isAbsolute() || parsed.getFragment() != null || uri.length() > 300) {
				throw new InvalidAccountException("A redirect URI must be absolute, without a fragment: " + uri);
			}
			if ("http".equals(parsed.getScheme()) && !isLoopback(parsed.getHost())) {
				throw new InvalidAccountException("A redirect URI must use https, except on localhost: " + uri);
			}
		}
		catch (URISyntaxException ex) {
			throw new InvalidAccountException("Not a URI: " + uri);
		}
	}

	private static boolean isLoopback(@Nullable String host) {
		return "localhost".equals(host) || "127.0.0.1".equals(host) || "[::1]".equals(host);
	}
}
