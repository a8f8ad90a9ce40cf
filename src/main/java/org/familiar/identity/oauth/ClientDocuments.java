package org.familiar.identity.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import okhttp3.Dns;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import org.familiar.identity.ConnectedApps;
import org.familiar.identity.InvalidAccountException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;

/**
 * Client ID metadata documents (draft-ietf-oauth-client-id-metadata-document, which MCP's
 * authorization prefers to registration): an app's {@code client_id} is an https URL, and the JSON
 * there says its name and redirect URIs. Familiar fetches it the first time it meets the id and
 * again when its copy is a day old, keeps it as a public client (PKCE, consent, rotating refresh
 * tokens) and otherwise lets the repository answer.
 *
 * <p>Fetched safely, since anyone can name any URL: https only, no user info, no redirects, no
 * proxy; the host must resolve to public addresses only (no loopback, private, link-local, CGNAT,
 * unique-local or multicast address, checked on the addresses the connection uses, so a rebinding
 * DNS answer cannot slip one in); 3 s to connect, 5 s in all, at most 5 KB, JSON.
 */
final class ClientDocuments implements RegisteredClientRepository {

	private static final Logger log = LoggerFactory.getLogger(ClientDocuments.class);

	static final Duration STALE_AFTER = Duration.ofDays(1);

	static final int MAX_BYTES = 5 * 1024;

	private final RegisteredClientRepository clients;

	private final JdbcClient jdbc;

	private final ObjectMapper json;

	private final Clock clock;

	private final OkHttpClient http;

	private final boolean loopbackForTests;

	/** Documents that could not be used, and why, for a few minutes: a bad client_id does not make Familiar fetch again and again. */
	private final com.github.benmanes.caffeine.cache.Cache<String, String> refused = com.github.benmanes.caffeine.cache.Caffeine
		.newBuilder()
		.maximumSize(10_000)
		.expireAfterWrite(Duration.ofMinutes(5))
		.build();

	/**
	 * @param loopbackForTests lets http documents on loopback addresses in
	 * ({@code familiar.identity.client-documents.allow-loopback-http}, for tests and development only)
	 */
	ClientDocuments(RegisteredClientRepository clients, JdbcClient jdbc, ObjectMapper json, Clock clock, boolean loopbackForTests) {
		this.clients = clients;
		this.jdbc = jdbc;
		this.json = json;
		this.clock = clock;
		this.loopbackForTests = loopbackForTests;
		this.http = new OkHttpClient.Builder()
			.proxy(java.net.Proxy.NO_PROXY)
			.followRedirects(false)
			.followSslRedirects(false)
			.connectTimeout(Duration.ofSeconds(3))
			.readTimeout(Duration.ofSeconds(3))
			.callTimeout(Duration.ofSeconds(5))
			.dns(host -> publicOnly(host, Dns.SYSTEM.lookup(host)))
			.build();
	}

	/** Whether {@code clientId} names a metadata document rather than a registered app. */
	static boolean isDocument(String clientId) {
		return clientId.startsWith("https://") || clientId.startsWith("http://");
	}

	@Override
	public void save(RegisteredClient registeredClient) {
		clients.save(registeredClient);
	}

	@Override
	public @Nullable RegisteredClient findById(String id) {
		return clients.findById(id);
	}

	@Override
	public @Nullable RegisteredClient findByClientId(String clientId) {
		var stored = clients.findByClientId(clientId);
		if (!isDocument(clientId)) {
			return stored;
		}
		var fetchedAt = stored == null ? null : jdbc.sql("select fetched_at from app_registration where registered_client_id = :id")
			.param("id", stored.getId())
			.query((rs, n) -> rs.getObject(1, OffsetDateTime.class))
			.optional()
			.orElse(null);
		if (stored != null && fetchedAt != null && fetchedAt.toInstant().plus(STALE_AFTER).isAfter(clock.instant())) {
			return stored;
		}
		if (refused.getIfPresent(clientId) != null) {
			return stored;
		}
		try {
			return keep(clientId, stored, fetch(clientId));
		}
		catch (InvalidAccountException ex) {
			log.info("Client ID metadata document {} refused: {}", clientId, ex.getMessage());
			refused.put(clientId, ex.getMessage());
			return stored; // a day-old copy beats none while the app's site is down; none: an unknown client
		}
	}

	/** Why {@code clientId}'s document cannot be used, or {@code null} if it can (fetching it if needed). */
	@Nullable String problem(String clientId) {
		var stored = clients.findByClientId(clientId);
		if (stored != null && findByClientId(clientId) != null) {
			return null;
		}
		var known = refused.getIfPresent(clientId);
		if (known == null) {
			try {
				keep(clientId, null, fetch(clientId));
				return null;
			}
			catch (InvalidAccountException ex) {
				known = ex.getMessage();
				refused.put(clientId, known);
			}
		}
		return "The client ID metadata document at " + clip(clientId) + " cannot be used: " + known;
	}

	/**
	 * At the authorization endpoint, before Spring Authorization Server looks the client up: a
	 * document that cannot be used gets a 400 saying why (the endpoint itself would only say
	 * "client_id").
	 */
	static final class AtAuthorization extends org.springframework.web.filter.OncePerRequestFilter {

		private final ClientDocuments documents;

		private final String endpoint;

		AtAuthorization(ClientDocuments documents, String endpoint) {
			this.documents = documents;
			this.endpoint = endpoint;
		}

		@Override
		protected boolean shouldNotFilter(jakarta.servlet.http.HttpServletRequest request) {
			var clientId = request.getParameter("client_id");
			return clientId == null || !isDocument(clientId)
					|| !endpoint.equals(request.getRequestURI().substring(request.getContextPath().length()));
		}

		@Override
		protected void doFilterInternal(jakarta.servlet.http.HttpServletRequest request, jakarta.servlet.http.HttpServletResponse response,
				jakarta.servlet.FilterChain chain) throws jakarta.servlet.ServletException, IOException {
			var problem = documents.problem(request.getParameter("client_id"));
			if (problem == null) {
				chain.doFilter(request, response);
				return;
			}
			response.setStatus(400);
			response.setContentType("application/json");
			response.setCharacterEncoding("UTF-8");
			documents.json.writeValue(response.getOutputStream(), java.util.Map.of("error", "invalid_client", "error_description", problem));
		}
	}

	/** The document's JSON, fetched as the class comment says. */
	JsonNode fetch(String clientId) {
		URI url;
		try {
			url = new URI(clientId);
		}
		catch (java.net.URISyntaxException ex) {
			throw new InvalidAccountException("the client_id is not a URL.");
		}
		var insecureAllowed = loopbackForTests && "http".equals(url.getScheme());
		if (!"https".equals(url.getScheme()) && !insecureAllowed || url.getHost() == null || url.getRawUserInfo() != null
				|| url.getRawFragment() != null || url.getRawPath() == null || url.getRawPath().length() <= 1
				|| url.getRawPath().contains("/./") || url.getRawPath().contains("/../") || clientId.length() > 300) {
			throw new InvalidAccountException("a client_id URL must be https, with a path, and without user info, fragment or dot segments.");
		}
		literalMustBePublic(url.getHost());
		var request = new Request.Builder().url(clientId).header("Accept", "application/json").get().build();
		try (var response = http.newCall(request).execute()) {
			if (response.code() != 200) {
				throw new InvalidAccountException("it answered " + response.code() + " (redirects are not followed).");
			}
			var source = response.body().source();
			if (source.request(MAX_BYTES + 1L)) {
				throw new InvalidAccountException("it is larger than " + MAX_BYTES + " bytes.");
			}
			var bytes = source.getBuffer().readByteArray();
			return json.readTree(bytes);
		}
		catch (UnknownHostException ex) {
			throw new InvalidAccountException(ex.getMessage());
		}
		catch (IOException ex) {
			throw new InvalidAccountException("it could not be fetched (" + ex.getClass().getSimpleName() + ").");
		}
	}

	/** The document as an app: checked, then stored (new, or the stored one brought up to date). */
	private RegisteredClient keep(String clientId, @Nullable RegisteredClient stored, JsonNode document) {
		if (!document.isObject() || !clientId.equals(document.path("client_id").asText(null))) {
			throw new InvalidAccountException("its client_id must be the document's own URL.");
		}
		var method = document.path("token_endpoint_auth_method").asText("none");
		if (!"none".equals(method)) {
			throw new InvalidAccountException("only public clients (token_endpoint_auth_method none, with PKCE) are supported.");
		}
		var name = document.path("client_name").asText("").strip();
		if (name.isEmpty() || name.length() > 100) {
			throw new InvalidAccountException("client_name has 1 to 100 characters.");
		}
		var uris = new ArrayList<String>();
		document.path("redirect_uris").forEach(uri -> uris.add(uri.asText("")));
		if (uris.isEmpty()) {
			throw new InvalidAccountException("redirect_uris must name at least one URI.");
		}
		ConnectedApps.checkRedirectUris(uris);
		var requested = new ArrayList<String>();
		for (var scope : document.path("scope").asText("").split("\\s+")) {
			if (ConnectedApps.SCOPES.contains(scope)) {
				requested.add(scope);
			}
		}
		var builder = stored != null ? RegisteredClient.from(stored) : RegisteredClient.withId(UUID.randomUUID().toString())
			.clientId(clientId)
			.clientIdIssuedAt(clock.instant())
			.clientAuthenticationMethod(ClientAuthenticationMethod.NONE)
			.authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
			.authorizationGrantType(AuthorizationGrantType.REFRESH_TOKEN)
			.clientSettings(ConnectedApps.publicClientSettings())
			.tokenSettings(ConnectedApps.tokenSettings());
		var client = builder.clientName(name)
			.redirectUris(list -> {
				list.clear();
				list.addAll(uris);
			})
			.scopes(list -> {
				list.clear();
				list.addAll(requested.isEmpty() ? ConnectedApps.SCOPES : requested);
			})
			.build();
		clients.save(client);
		var now = clock.instant().atOffset(ZoneOffset.UTC);
		var logo = document.path("logo_uri").asText(null);
		logo = logo != null && logo.startsWith("https://") && logo.length() <= 500 ? logo : null;
		if (stored == null) {
			jdbc.sql("""
					insert into app_registration (registered_client_id, owner_id, logo_uri, created_at, registered_by, fetched_at)
					values (:id, null, :logo, :at, 'document', :at)""")
				.param("id", client.getId()).param("logo", logo).param("at", now).update();
		}
		else {
			jdbc.sql("update app_registration set fetched_at = :at, logo_uri = :logo where registered_client_id = :id")
				.param("id", client.getId()).param("logo", logo).param("at", now).update();
		}
		return client;
	}

	private List<InetAddress> publicOnly(String host, List<InetAddress> addresses) throws UnknownHostException {
		for (var address : addresses) {
			if (!isPublic(address) && !(loopbackForTests && address.isLoopbackAddress())) {
				throw new UnknownHostException(host + " resolves to a private address (" + address.getHostAddress()
						+ "); only public hosts may serve client metadata.");
			}
		}
		return addresses;
	}

	/** A literal address in the URL skips DNS, so it is checked here. */
	private void literalMustBePublic(String host) {
		var bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
		if (!bare.matches("[0-9.]+") && !bare.contains(":")) {
			return;
		}
		try {
			var address = InetAddress.getByName(bare);
			if (!isPublic(address) && !(loopbackForTests && address.isLoopbackAddress())) {
				throw new InvalidAccountException(host + " is a private address; only public hosts may serve client metadata.");
			}
		}
		catch (UnknownHostException ex) {
			throw new InvalidAccountException("the host is not an address.");
		}
	}

	static boolean isPublic(InetAddress address) {
		if (address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
				|| address.isAnyLocalAddress() || address.isMulticastAddress()) {
			return false;
		}
		var bytes = address.getAddress();
		if (address instanceof Inet4Address) {
			int first = bytes[0] & 0xff;
			int second = bytes[1] & 0xff;
			return first != 0 && first != 255 && !(first == 100 && second >= 64 && second < 128) // CGNAT 100.64/10
					&& !(first == 192 && second == 0 && (bytes[2] & 0xff) == 0) && !(first == 198 && (second == 18 || second == 19));
		}
		if (address instanceof Inet6Address) {
			int first = bytes[0] & 0xff;
			if ((first & 0xfe) == 0xfc) {
				return false; // unique local fc00::/7
			}
			boolean mapped = true;
			for (int i = 0; i < 10; i++) {
				mapped &= bytes[i] == 0;
			}
			if (mapped && (bytes[10] & 0xff) == 0xff && (bytes[11] & 0xff) == 0xff) {
				try {
					return isPublic(InetAddress.getByAddress(java.util.Arrays.copyOfRange(bytes, 12, 16)));
				}
				catch (UnknownHostException ex) {
					return false;
				}
			}
		}
		return true;
	}

	private static String clip(String text) {
		return text.length() > 120 ? text.substring(0, 120) + "…" : text;
	}
}
