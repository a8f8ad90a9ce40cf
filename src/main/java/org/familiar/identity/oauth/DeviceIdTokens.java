package org.familiar.identity.oauth;

import java.security.Principal;
import java.util.HashMap;
import org.familiar.identity.Scopes;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.core.oidc.endpoint.OidcParameterNames;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AccessTokenAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2DeviceCodeAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.context.AuthorizationServerContextHolder;
import org.springframework.security.oauth2.server.authorization.token.DefaultOAuth2TokenContext;
import org.springframework.security.oauth2.server.authorization.token.JwtGenerator;

/**
 * The device grant with OpenID Connect: Spring Authorization Server's own device code exchange,
 * plus an ID token when the device was allowed {@code openid} (so it knows whose it is, and so
 * the refresh grant, which renews the ID token, finds one to renew).
 */
final class DeviceIdTokens implements AuthenticationProvider {

	private static final OAuth2TokenType ID_TOKEN = new OAuth2TokenType(OidcParameterNames.ID_TOKEN);

	private final OAuth2DeviceCodeAuthenticationProvider delegate;

	private final HashedAuthorizations authorizations;

	private final JwtGenerator idTokens;

	DeviceIdTokens(OAuth2DeviceCodeAuthenticationProvider delegate, HashedAuthorizations authorizations, JwtGenerator idTokens) {
		this.delegate = delegate;
		this.authorizations = authorizations;
		this.idTokens = idTokens;
	}

	@Override
	public Authentication authenticate(Authentication authentication) {
		var issued = (OAuth2AccessTokenAuthenticationToken) delegate.authenticate(authentication);
		if (issued == null || !issued.getAccessToken().getScopes().contains(Scopes.OPENID)) {
			return issued;
		}
		var authorization = authorizations.findByToken(issued.getAccessToken().getTokenValue(), OAuth2TokenType.ACCESS_TOKEN);
		if (authorization == null) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.SERVER_ERROR);
		}
		Authentication person = authorization.getAttribute(Principal.class.getName());
		var context = DefaultOAuth2TokenContext.builder()
			.registeredClient(issued.getRegisteredClient())
			.principal(person)
			.authorizationServerContext(AuthorizationServerContextHolder.getContext())
			.authorization(authorization)
			.authorizedScopes(authorization.getAuthorizedScopes())
			.tokenType(ID_TOKEN)
			.authorizationGrantType(AuthorizationGrantType.DEVICE_CODE)
			.authorizationGrant(authentication)
			.build();
		Jwt jwt = idTokens.generate(context);
		if (jwt == null) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.SERVER_ERROR);
		}
		var idToken = new OidcIdToken(jwt.getTokenValue(), jwt.getIssuedAt(), jwt.getExpiresAt(), jwt.getClaims());
		authorizations.save(OAuth2Authorization.from(authorization)
			.token(idToken, metadata -> metadata.put(OAuth2Authorization.Token.CLAIMS_METADATA_NAME, idToken.getClaims()))
			.build());
		var parameters = new HashMap<>(issued.getAdditionalParameters());
		parameters.put(OidcParameterNames.ID_TOKEN, idToken.getTokenValue());
		return new OAuth2AccessTokenAuthenticationToken(issued.getRegisteredClient(), (Authentication) issued.getPrincipal(),
				issued.getAccessToken(), issued.getRefreshToken(), parameters);
	}

	@Override
	public boolean supports(Class<?> authentication) {
		return delegate.supports(authentication);
	}
}
