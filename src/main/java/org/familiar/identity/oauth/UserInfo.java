package org.familiar.identity.oauth;

import java.util.LinkedHashMap;
import org.familiar.identity.Scopes;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.core.oidc.OidcUserInfo;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.oidc.authentication.OidcUserInfoAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.AbstractOAuth2TokenAuthenticationToken;

/**
 * {@code /userinfo} for every token with {@code openid}, a device's included: Spring Authorization
 * Server's own provider wants an ID token in the authorization, and the device grant issues none.
 * Says {@code sub} (the ID token's, else the username) and, with {@code profile}, the username.
 */
final class UserInfo implements AuthenticationProvider {

	private final HashedAuthorizations authorizations;

	UserInfo(HashedAuthorizations authorizations) {
		this.authorizations = authorizations;
	}

	@Override
	public Authentication authenticate(Authentication authentication) {
		var request = (OidcUserInfoAuthenticationToken) authentication;
		if (!(request.getPrincipal() instanceof AbstractOAuth2TokenAuthenticationToken<?> bearer) || !bearer.isAuthenticated()) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.INVALID_TOKEN);
		}
		var authorization = authorizations.findByToken(bearer.getToken().getTokenValue(), OAuth2TokenType.ACCESS_TOKEN);
		if (authorization == null || authorization.getAccessToken() == null || !authorization.getAccessToken().isActive()) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.INVALID_TOKEN);
		}
		var scopes = authorization.getAccessToken().getToken().getScopes();
		if (!scopes.contains(Scopes.OPENID)) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.INSUFFICIENT_SCOPE);
		}
		var claims = new LinkedHashMap<String, Object>();
		var idToken = authorization.getToken(OidcIdToken.class);
		claims.put("sub", idToken != null ? idToken.getToken().getSubject() : authorization.getPrincipalName());
		if (scopes.contains(Scopes.PROFILE)) {
			claims.put("preferred_username", authorization.getPrincipalName());
			claims.put("name", authorization.getPrincipalName());
		}
		return new OidcUserInfoAuthenticationToken(bearer, new OidcUserInfo(claims));
	}

	@Override
	public boolean supports(Class<?> authentication) {
		return OidcUserInfoAuthenticationToken.class.isAssignableFrom(authentication);
	}
}
