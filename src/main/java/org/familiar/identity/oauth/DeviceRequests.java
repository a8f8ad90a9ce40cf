package org.familiar.identity.oauth;

import java.util.HashSet;
import org.familiar.identity.LinkedDevice;
import org.familiar.identity.Scopes;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.server.authorization.OAuth2Authorization;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2ClientAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2DeviceAuthorizationRequestAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2DeviceAuthorizationRequestAuthenticationToken;

/**
 * Device authorization requests (RFC 8628 §3.1) as Familiar takes them: Spring Authorization
 * Server's own provider, except that {@code openid} may be asked for (a device learns whose it is
 * at {@code /userinfo}), and that a device may say what it is with {@code device_name} and
 * {@code device_kind} (phone, watch, speaker, …), which the consent page shows and the linked
 * device keeps.
 */
final class DeviceRequests implements AuthenticationProvider {

	/** The authorization attributes holding what the device said it is. */
	static final String NAME = org.familiar.identity.LinkedDevices.DEVICE_NAME;

	static final String KIND = org.familiar.identity.LinkedDevices.DEVICE_KIND;

	private final OAuth2DeviceAuthorizationRequestAuthenticationProvider delegate;

	private final HashedAuthorizations authorizations;

	DeviceRequests(OAuth2DeviceAuthorizationRequestAuthenticationProvider delegate, HashedAuthorizations authorizations) {
		this.delegate = delegate;
		this.authorizations = authorizations;
	}

	@Override
	public Authentication authenticate(Authentication authentication) {
		var request = (OAuth2DeviceAuthorizationRequestAuthenticationToken) authentication;
		var parameters = request.getAdditionalParameters();
		var name = single(parameters.get("device_name"), "device_name");
		var kind = single(parameters.get("device_kind"), "device_kind");
		if (name != null && (name.isBlank() || name.strip().length() > LinkedDevice.NAME_LENGTH)) {
			throw invalid("device_name has 1 to " + LinkedDevice.NAME_LENGTH + " characters.");
		}
		if (kind != null && !LinkedDevice.KINDS.contains(kind)) {
			throw invalid("device_kind is one of " + String.join(", ", LinkedDevice.KINDS) + ".");
		}
		var openid = request.getScopes().contains(Scopes.OPENID);
		if (openid && request.getPrincipal() instanceof OAuth2ClientAuthenticationToken client
				&& client.getRegisteredClient() != null && !client.getRegisteredClient().getScopes().contains(Scopes.OPENID)) {
			throw new OAuth2AuthenticationException(new OAuth2Error(OAuth2ErrorCodes.INVALID_SCOPE, null, null));
		}
		var scopes = new HashSet<>(request.getScopes());
		scopes.remove(Scopes.OPENID);
		var issued = (OAuth2DeviceAuthorizationRequestAuthenticationToken) delegate.authenticate(
				new OAuth2DeviceAuthorizationRequestAuthenticationToken((Authentication) request.getPrincipal(),
						request.getAuthorizationUri(), scopes, parameters));
		if (!openid && name == null && kind == null) {
			return issued;
		}
		var stored = authorizations.findByToken(issued.getDeviceCode().getTokenValue(),
				new OAuth2TokenType(OAuth2ParameterNames.DEVICE_CODE));
		if (stored == null) {
			throw new OAuth2AuthenticationException(OAuth2ErrorCodes.SERVER_ERROR);
		}
		var withOpenId = new HashSet<>(scopes);
		if (openid) {
			withOpenId.add(Scopes.OPENID);
		}
		var updated = OAuth2Authorization.from(stored).attribute(OAuth2ParameterNames.SCOPE, withOpenId);
		if (name != null) {
			updated.attribute(NAME, name.strip());
		}
		if (kind != null) {
			updated.attribute(KIND, kind);
		}
		authorizations.save(updated.build());
		return new OAuth2DeviceAuthorizationRequestAuthenticationToken((Authentication) request.getPrincipal(), withOpenId,
				issued.getDeviceCode(), issued.getUserCode());
	}

	private static @org.jspecify.annotations.Nullable String single(@org.jspecify.annotations.Nullable Object value, String name) {
		if (value == null) {
			return null;
		}
		if (value instanceof String text) {
			return text;
		}
		throw invalid(name + " is given once.");
	}

	private static OAuth2AuthenticationException invalid(String description) {
		return new OAuth2AuthenticationException(new OAuth2Error(OAuth2ErrorCodes.INVALID_REQUEST, description, null));
	}

	@Override
	public boolean supports(Class<?> authentication) {
		return delegate.supports(authentication);
	}
}
