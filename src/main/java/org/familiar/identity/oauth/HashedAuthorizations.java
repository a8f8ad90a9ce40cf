package org.familiar.identity.oauth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.userdetails.User;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.JdbcOperations;
import org.springframework.security.oauth2.core.AbstractOAuth2Token;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2DeviceCode;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.core.OAuth2UserCode;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.server.authorization.JdbcOAuth2AuthorizationService;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationCode;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;

/**
 * Spring Authorization Server's JDBC authorization store, storing every token value (and the
 * {@code state}) only as {@code sha256:} + its hash: a copy of the database holds no usable code
 * or token. Lookups hash what they are given. Refresh tokens must rotate (never be reused), since
 * a reused one would be answered from storage, where only its hash is.
 */
public class HashedAuthorizations extends JdbcOAuth2AuthorizationService {

	static final String PREFIX = "sha256:";

	private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

	public HashedAuthorizations(JdbcOperations jdbc, RegisteredClientRepository clients) {
		super(jdbc, clients);
	}

	/** Runs {@code listener} after every change (so caches of authenticated tokens can be dropped). */
	public void onChange(Runnable listener) {
		listeners.add(listener);
	}

	@Override
	public void save(OAuth2Authorization authorization) {
		var stored = hashed(authorization);
		var previous = super.findById(stored.getId());
		var before = previous == null ? null : previous.getRefreshToken();
		var after = stored.getRefreshToken();
		if (before != null && (after == null || !before.getToken().getTokenValue().equals(after.getToken().getTokenValue()))) {
			rotated(before.getToken().getTokenValue(), stored.getId());
		}
		super.save(stored);
		listeners.forEach(Runnable::run);
	}

	/** How long a rotated refresh token is remembered: as long as it would have lived. */
	private static final java.time.Duration ROTATED_KEPT = java.time.Duration.ofDays(31);

	private void rotated(String hash, String authorizationId) {
		var now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC);
		getJdbcOperations().update("delete from rotated_refresh_token where rotated_at < ?", now.minus(ROTATED_KEPT));
		getJdbcOperations().update("delete from rotated_refresh_token where token_hash = ?", hash);
		getJdbcOperations().update("insert into rotated_refresh_token (token_hash, authorization_id, rotated_at) values (?, ?, ?)",
				hash, authorizationId, now);
	}

	/**
	 * The authorization a refresh token belonged to before it was rotated away, if it was one of
	 * this server's (a token presented again after rotation is being reused).
	 */
	public @Nullable String rotatedFrom(String refreshToken) {
		var found = getJdbcOperations().queryForList("select authorization_id from rotated_refresh_token where token_hash = ?",
				String.class, hash(refreshToken));
		return found.isEmpty() ? null : found.getFirst();
	}

	@Override
	public void remove(OAuth2Authorization authorization) {
		super.remove(authorization);
		listeners.forEach(Runnable::run);
	}

	/**
	 * Finds by the hash of {@code token}; in the authorization returned, that one token carries its
	 * real value again (the caller presented it), so Spring Authorization Server can match it.
	 */
	@Override
	public @Nullable OAuth2Authorization findByToken(String token, @Nullable OAuth2TokenType tokenType) {
		var hashed = hash(token);
		var found = super.findByToken(hashed, tokenType);
		return found == null ? null : withValues(found, value -> value.equals(hashed) ? token : value);
	}

	/** Removes every authorization a person gave a client: its tokens stop working at once. */
	public int removeAll(String registeredClientId, String principalName) {
		int removed = getJdbcOperations().update(
				"delete from oauth2_authorization where registered_client_id = ? and principal_name = ?", registeredClientId,
				principalName);
		listeners.forEach(Runnable::run);
		return removed;
	}

	static OAuth2Authorization hashed(OAuth2Authorization authorization) {
		var hashed = withValues(authorization, value -> value.startsWith(PREFIX) ? value : hash(value));
		// The signed-in person is stored as a plain Spring Security user: Familiar's own principal
		// types are not on Jackson's allowlist for deserialisation, and only the name is needed.
		Authentication principal = authorization.getAttribute(Principal.class.getName());
		if (principal == null || principal.getPrincipal().getClass() == User.class) {
			return hashed;
		}
		var user = new User(principal.getName(), "", principal.getAuthorities());
		return OAuth2Authorization.from(hashed)
			.attribute(Principal.class.getName(), UsernamePasswordAuthenticationToken.authenticated(user, null, principal.getAuthorities()))
			.build();
	}

	/** A copy with {@code change} applied to every token value and to the state. */
	private static OAuth2Authorization withValues(OAuth2Authorization authorization, UnaryOperator<String> change) {
		var builder = OAuth2Authorization.from(authorization);
		String state = authorization.getAttribute(OAuth2ParameterNames.STATE);
		if (state != null) {
			builder.attribute(OAuth2ParameterNames.STATE, change.apply(state));
		}
		copy(authorization, builder, OAuth2AuthorizationCode.class, change,
				(t, v) -> new OAuth2AuthorizationCode(v, t.getIssuedAt(), t.getExpiresAt()));
		copy(authorization, builder, OAuth2AccessToken.class, change,
				(t, v) -> new OAuth2AccessToken(t.getTokenType(), v, t.getIssuedAt(), t.getExpiresAt(), t.getScopes()));
		copy(authorization, builder, OidcIdToken.class, change,
				(t, v) -> new OidcIdToken(v, t.getIssuedAt(), t.getExpiresAt(), t.getClaims()));
		copy(authorization, builder, OAuth2RefreshToken.class, change,
				(t, v) -> new OAuth2RefreshToken(v, t.getIssuedAt(), t.getExpiresAt()));
		copy(authorization, builder, OAuth2UserCode.class, change,
				(t, v) -> new OAuth2UserCode(v, t.getIssuedAt(), t.getExpiresAt()));
		copy(authorization, builder, OAuth2DeviceCode.class, change,
				(t, v) -> new OAuth2DeviceCode(v, t.getIssuedAt(), t.getExpiresAt()));
		return builder.build();
	}

	private static <T extends AbstractOAuth2Token> void copy(OAuth2Authorization authorization,
			OAuth2Authorization.Builder builder, Class<T> type, UnaryOperator<String> change,
			java.util.function.BiFunction<T, String, T> withValue) {
		var token = authorization.getToken(type);
		if (token == null) {
			return;
		}
		var value = change.apply(token.getToken().getTokenValue());
		if (!value.equals(token.getToken().getTokenValue())) {
			builder.token(withValue.apply(token.getToken(), value), metadata -> metadata.putAll(token.getMetadata()));
		}
	}

	/** Always hashes, even a value that looks hashed: a stored hash must never work as a token. */
	static String hash(String value) {
		try {
			var digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
			return PREFIX + HexFormat.of().formatHex(digest);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is missing from this JVM", ex);
		}
	}
}
