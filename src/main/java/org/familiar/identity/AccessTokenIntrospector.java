package org.familiar.identity;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.core.OAuth2AuthenticatedPrincipal;
import org.springframework.security.oauth2.server.resource.introspection.BadOpaqueTokenException;
import org.springframework.security.oauth2.server.resource.introspection.OpaqueTokenIntrospector;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Turns a bearer token into a {@link Caller} for Spring Security's resource server support, so
 * APIs get token parsing, {@code WWW-Authenticate} and error handling from the library.
 */
@Component
public class AccessTokenIntrospector implements OpaqueTokenIntrospector {

	private final IdentityManagement identity;

	private final ConnectedApps apps;

	private final GuessThrottle throttle;

	private final ProtectedResources resources;

	AccessTokenIntrospector(IdentityManagement identity, ConnectedApps apps, GuessThrottle throttle,
			ProtectedResources resources) {
		this.identity = identity;
		this.apps = apps;
		this.throttle = throttle;
		this.resources = resources;
	}

	/**
	 * The introspector for the API under {@code path} ({@link ProtectedResources#MCP},
	 * {@link ProtectedResources#V1}, or {@code null} for {@code /api}): an app's token issued for
	 * another resource is refused there (RFC 8707), as an invalid token.
	 */
	public OpaqueTokenIntrospector forResource(@Nullable String path) {
		return token -> {
			var principal = introspect(token);
			var request = RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes
					? attributes.getRequest() : null;
			if (request != null && principal instanceof TokenPrincipal found && !resources.admits(found.caller(), request, path)) {
				throw new BadOpaqueTokenException(path == null
						? "This token was issued for " + String.join(", ", found.caller().connected().audience()) + " only."
						: "This token was not issued for " + path + ": ask for one with resource=" + resources.resource(request, path) + ".");
			}
			return principal;
		};
	}

	/**
	 * A personal access token ({@code fam_…}), or an access token Familiar issued to an app. An
	 * address that sent too many invalid tokens is refused before the lookup.
	 * @throws GuessesThrottledException while the address must wait
	 */
	@Override
	public OAuth2AuthenticatedPrincipal introspect(String token) {
		var address = clientAddress();
		if (address != null) {
			var wait = throttle.tokenWait(address);
			if (wait.isPositive()) {
				throw new GuessesThrottledException(wait);
			}
		}
		var caller = (token.startsWith(IdentityManagement.TOKEN_PREFIX) ? identity.authenticate(token) : apps.authenticate(token))
			.filter(found -> identity.active(found.person()));
		if (caller.isEmpty() && address != null) {
			throttle.tokenFailed(address);
		}
		return caller.map(TokenPrincipal::new)
			.orElseThrow(() -> new BadOpaqueTokenException("The access token is not valid or has been revoked."));
	}

	/** The caller's address (after a trusted proxy's X-Forwarded-For, see server.forward-headers-strategy). */
	private static @Nullable String clientAddress() {
		return RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes request
				? request.getRequest().getRemoteAddr() : null;
	}

	record TokenPrincipal(Caller caller) implements OAuth2AuthenticatedPrincipal, CallerPrincipal {

		private static final List<GrantedAuthority> AUTHORITIES = List.of(new SimpleGrantedAuthority("ROLE_USER"));

		@Override
		public Map<String, Object> getAttributes() {
			var attributes = new java.util.HashMap<String, Object>();
			attributes.put("sub", caller.username());
			attributes.put("username", caller.username());
			attributes.put("workload", caller.workload().id());
			if (caller.connected() != null) {
				attributes.put("client_id", caller.connected().clientId());
				attributes.put("scope", String.join(" ", caller.connected().scopes()));
			}
			return attributes;
		}

		@Override
		public Collection<? extends GrantedAuthority> getAuthorities() {
			return AUTHORITIES;
		}

		@Override
		public String getName() {
			return caller.username();
		}
	}
}
