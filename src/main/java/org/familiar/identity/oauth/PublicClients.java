package org.familiar.identity.oauth;

import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2ClientAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.web.authentication.AuthenticationConverter;
import org.springframework.security.web.util.matcher.AntPathRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Public clients, which cannot keep a secret and name themselves with {@code client_id} alone:
 * a device (RFC 8628) at the device authorization endpoint and when it polls with its device
 * code; any public app (a device, a single-page or mobile app, an MCP host) when it trades its
 * refresh token for new ones (they rotate and are bound to the client and its authorization) and
 * when it revokes a token at sign-out (RFC 7009). Spring Authorization Server authenticates a
 * public client only by PKCE at the code exchange; without this, those requests were sent to the
 * login page. Only clients registered as public pass, and each only for the grants it holds.
 */
final class PublicClients implements AuthenticationConverter, AuthenticationProvider {

	/** Marks the requests this converter made, so the provider leaves every other client to the others. */
	private static final String MARK = "familiar.public-client";

	private final RegisteredClientRepository clients;

	private final RequestMatcher publicRequests;

	private final RequestMatcher revocation;

	PublicClients(RegisteredClientRepository clients, String deviceAuthorizationEndpoint, String tokenEndpoint,
			String revocationEndpoint) {
		this.clients = clients;
		var authorization = AntPathRequestMatcher.antMatcher(org.springframework.http.HttpMethod.POST, deviceAuthorizationEndpoint);
		var token = AntPathRequestMatcher.antMatcher(org.springframework.http.HttpMethod.POST, tokenEndpoint);
		this.revocation = AntPathRequestMatcher.antMatcher(org.springframework.http.HttpMethod.POST, revocationEndpoint);
		this.publicRequests = request -> authorization.matches(request) || revocation.matches(request) || (token.matches(request)
				&& (AuthorizationGrantType.DEVICE_CODE.getValue().equals(request.getParameter(OAuth2ParameterNames.GRANT_TYPE))
						|| AuthorizationGrantType.REFRESH_TOKEN.getValue().equals(request.getParameter(OAuth2ParameterNames.GRANT_TYPE))));
	}

	@Override
	public @Nullable Authentication convert(HttpServletRequest request) {
		if (!publicRequests.matches(request) || request.getParameter(OAuth2ParameterNames.CLIENT_SECRET) != null
				|| request.getHeader("Authorization") != null) {
			return null;
		}
		var ids = request.getParameterValues(OAuth2ParameterNames.CLIENT_ID);
		if (ids == null || ids.length != 1 || ids[0].isBlank()) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.INVALID_REQUEST);
		}
		var grant = revocation.matches(request) ? null : request.getParameter(OAuth2ParameterNames.GRANT_TYPE);
		var needed = grant == null ? (revocation.matches(request) ? "" : AuthorizationGrantType.DEVICE_CODE.getValue()) : grant;
		return new OAuth2ClientAuthenticationToken(ids[0], ClientAuthenticationMethod.NONE, null,
				java.util.Map.of(MARK, needed));
	}

	@Override
	public @Nullable Authentication authenticate(Authentication authentication) {
		var request = (OAuth2ClientAuthenticationToken) authentication;
		if (!ClientAuthenticationMethod.NONE.equals(request.getClientAuthenticationMethod())
				|| !(request.getAdditionalParameters().get(MARK) instanceof String needed)) {
			return null;
		}
		var client = clients.findByClientId((String) request.getPrincipal());
		if (client == null || !client.getClientAuthenticationMethods().contains(ClientAuthenticationMethod.NONE)
				|| !needed.isEmpty() && !client.getAuthorizationGrantTypes().contains(new AuthorizationGrantType(needed))) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.INVALID_CLIENT);
		}
		return new OAuth2ClientAuthenticationToken(client, ClientAuthenticationMethod.NONE, null);
	}

	@Override
	public boolean supports(Class<?> authentication) {
		return OAuth2ClientAuthenticationToken.class.isAssignableFrom(authentication);
	}
}
