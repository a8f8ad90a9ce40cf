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
 * Public device clients (RFC 8628): a television or a speaker cannot keep a secret, so it names
 * itself with {@code client_id} alone at the device authorization endpoint, when it polls the
 * token endpoint with its device code, and when it trades its refresh token for new tokens (so it
 * stays linked: refresh tokens rotate and are bound to the client and the device's authorization).
 * Only clients registered as public device clients pass.
 */
final class DeviceClients implements AuthenticationConverter, AuthenticationProvider {

	/** Marks the requests this converter made, so the provider leaves every other client to the others. */
	private static final String MARK = "familiar.device-client";

	private final RegisteredClientRepository clients;

	private final RequestMatcher deviceRequests;

	DeviceClients(RegisteredClientRepository clients, String deviceAuthorizationEndpoint, String tokenEndpoint) {
		this.clients = clients;
		var authorization = AntPathRequestMatcher.antMatcher(org.springframework.http.HttpMethod.POST, deviceAuthorizationEndpoint);
		var token = AntPathRequestMatcher.antMatcher(org.springframework.http.HttpMethod.POST, tokenEndpoint);
		this.deviceRequests = request -> authorization.matches(request) || (token.matches(request)
				&& (AuthorizationGrantType.DEVICE_CODE.getValue().equals(request.getParameter(OAuth2ParameterNames.GRANT_TYPE))
						|| AuthorizationGrantType.REFRESH_TOKEN.getValue().equals(request.getParameter(OAuth2ParameterNames.GRANT_TYPE))));
	}

	@Override
	public @Nullable Authentication convert(HttpServletRequest request) {
		if (!deviceRequests.matches(request) || request.getParameter(OAuth2ParameterNames.CLIENT_SECRET) != null
				|| request.getHeader("Authorization") != null) {
			return null;
		}
		var ids = request.getParameterValues(OAuth2ParameterNames.CLIENT_ID);
		if (ids == null || ids.length != 1 || ids[0].isBlank()) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.INVALID_REQUEST);
		}
		return new OAuth2ClientAuthenticationToken(ids[0], ClientAuthenticationMethod.NONE, null, java.util.Map.of(MARK, true));
	}

	@Override
	public @Nullable Authentication authenticate(Authentication authentication) {
		var request = (OAuth2ClientAuthenticationToken) authentication;
		if (!ClientAuthenticationMethod.NONE.equals(request.getClientAuthenticationMethod())
				|| !Boolean.TRUE.equals(request.getAdditionalParameters().get(MARK))) {
			return null;
		}
		var client = clients.findByClientId((String) request.getPrincipal());
		if (client == null || !client.getClientAuthenticationMethods().contains(ClientAuthenticationMethod.NONE)
				|| !client.getAuthorizationGrantTypes().contains(AuthorizationGrantType.DEVICE_CODE)) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.INVALID_CLIENT);
		}
		return new OAuth2ClientAuthenticationToken(client, ClientAuthenticationMethod.NONE, null);
	}

	@Override
	public boolean supports(Class<?> authentication) {
		return OAuth2ClientAuthenticationToken.class.isAssignableFrom(authentication);
	}
}
