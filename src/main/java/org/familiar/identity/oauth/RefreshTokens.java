package org.familiar.identity.oauth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AccessTokenAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2RefreshTokenAuthenticationToken;

/**
 * Refresh tokens for public apps, and what happens when one is used twice.
 *
 * <p>Spring Authorization Server gives a public client (PKCE, no secret) no refresh token at the
 * code exchange, so a single-page app, a mobile app or an MCP host would have to send the person
 * through the consent page again every hour. {@link #atCodeExchange} adds one for a public client
 * registered for the refresh grant; it rotates on every use like every other app's (see
 * {@link HashedAuthorizations}).
 *
 * <p>{@link #atRefresh}: a refresh token that was already rotated away and is presented again was
 * copied: the whole authorization is revoked (its current access and refresh tokens stop), so
 * neither the thief nor the app can go on until the person signs in again (RFC 9700, 4.14.2).
 */
final class RefreshTokens {

	private static final Logger log = LoggerFactory.getLogger(RefreshTokens.class);

	private RefreshTokens() {
	}

	static AuthenticationProvider atCodeExchange(AuthenticationProvider delegate, HashedAuthorizations authorizations) {
		var keys = new org.springframework.security.crypto.keygen.Base64StringKeyGenerator(
				java.util.Base64.getUrlEncoder().withoutPadding(), 96);
		return new Wrapped(delegate) {
			@Override
			public Authentication authenticate(Authentication authentication) {
				var issued = (OAuth2AccessTokenAuthenticationToken) delegate.authenticate(authentication);
				var client = issued == null ? null : issued.getRegisteredClient();
				if (client == null || issued.getRefreshToken() != null
						|| !client.getClientAuthenticationMethods().contains(ClientAuthenticationMethod.NONE)
						|| !client.getAuthorizationGrantTypes().contains(AuthorizationGrantType.REFRESH_TOKEN)) {
					return issued;
				}
				var authorization = authorizations.findByToken(issued.getAccessToken().getTokenValue(), OAuth2TokenType.ACCESS_TOKEN);
				if (authorization == null) {
					throw new OAuth2AuthenticationException(OAuth2ErrorCodes.SERVER_ERROR);
				}
				// As Spring Authorization Server makes them, which its own generator refuses for a public client here.
				var issuedAt = java.time.Instant.now();
				var refresh = new OAuth2RefreshToken(keys.generateKey(), issuedAt,
						issuedAt.plus(client.getTokenSettings().getRefreshTokenTimeToLive()));
				authorizations.save(OAuth2Authorization.from(authorization).refreshToken(refresh).build());
				return new OAuth2AccessTokenAuthenticationToken(client, (Authentication) issued.getPrincipal(),
						issued.getAccessToken(), refresh, issued.getAdditionalParameters());
			}
		};
	}

	static AuthenticationProvider atRefresh(AuthenticationProvider delegate, HashedAuthorizations authorizations) {
		return new Wrapped(delegate) {
			@Override
			public Authentication authenticate(Authentication authentication) {
				try {
					return delegate.authenticate(authentication);
				}
				catch (OAuth2AuthenticationException ex) {
					if (OAuth2ErrorCodes.INVALID_GRANT.equals(ex.getError().getErrorCode())
							&& authentication instanceof OAuth2RefreshTokenAuthenticationToken refresh) {
						var reused = authorizations.rotatedFrom(refresh.getRefreshToken());
						var authorization = reused == null ? null : authorizations.findById(reused);
						if (authorization != null) {
							authorizations.remove(authorization);
							log.warn("A rotated refresh token of client {} was used again: authorization {} revoked",
									authorization.getRegisteredClientId(), authorization.getId());
							throw new OAuth2AuthenticationException(new OAuth2Error(OAuth2ErrorCodes.INVALID_GRANT,
									"This refresh token was already used, so it may have been copied: every token of this "
											+ "sign-in is revoked. Sign in again.", null));
						}
					}
					throw ex;
				}
			}
		};
	}

	private abstract static class Wrapped implements AuthenticationProvider {

		final AuthenticationProvider delegate;

		Wrapped(AuthenticationProvider delegate) {
			this.delegate = delegate;
		}

		@Override
		public boolean supports(Class<?> authentication) {
			return delegate.supports(authentication);
		}
	}
}
