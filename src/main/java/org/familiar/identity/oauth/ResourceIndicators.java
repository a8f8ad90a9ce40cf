package org.familiar.identity.oauth;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.familiar.identity.ProtectedResources;
import org.springframework.http.MediaType;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationGrantAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenClaimsContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenCustomizer;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Resource indicators (RFC 8707): an app names the resource it wants a token for
 * ({@code resource=https://familiar.example/mcp}) at the authorization endpoint and at the token
 * endpoint, and the access token's audience is that resource alone, so a token an MCP host got
 * for {@code /mcp} is refused at {@code /v1} and the other way round. A resource Familiar does not
 * serve is refused with {@code invalid_target}; at the token endpoint an app may narrow what it was
 * authorized for, never widen it. Without a resource a token is for Familiar's API as before.
 */
final class ResourceIndicators extends OncePerRequestFilter implements OAuth2TokenCustomizer<OAuth2TokenClaimsContext> {

	static final String RESOURCE = "resource";

	private final ProtectedResources resources;

	private final String authorizationEndpoint;

	ResourceIndicators(ProtectedResources resources, String authorizationEndpoint) {
		this.resources = resources;
		this.authorizationEndpoint = authorizationEndpoint;
	}

	/** At the authorization endpoint, before the login and consent pages: refuses a resource Familiar does not serve. */
	@Override
	protected boolean shouldNotFilter(HttpServletRequest request) {
		return !authorizationEndpoint.equals(request.getRequestURI().substring(request.getContextPath().length()))
				|| request.getParameterValues(RESOURCE) == null;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		var unknown = unknown(request, Arrays.asList(request.getParameterValues(RESOURCE)));
		if (unknown != null) {
			response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
			response.setContentType(MediaType.APPLICATION_JSON_VALUE);
			response.setCharacterEncoding("UTF-8");
			response.getWriter().write("{\"error\":\"invalid_target\",\"error_description\":\"" + describe(request, unknown)
				.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}");
			return;
		}
		chain.doFilter(request, response);
	}

	/** The access token's audience: the resources asked for at the token endpoint, or else at authorization. */
	@Override
	public void customize(OAuth2TokenClaimsContext context) {
		if (!OAuth2TokenType.ACCESS_TOKEN.equals(context.getTokenType())
				|| !(RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes)) {
			return;
		}
		var request = attributes.getRequest();
		Set<String> authorized = Set.of();
		if (context.getAuthorization() != null
				&& context.getAuthorization().getAttribute(OAuth2AuthorizationRequest.class.getName()) instanceof OAuth2AuthorizationRequest asked) {
			authorized = values(asked.getAdditionalParameters().get(RESOURCE));
		}
		Set<String> requested = context.getAuthorizationGrant() instanceof OAuth2AuthorizationGrantAuthenticationToken grant
				? values(grant.getAdditionalParameters().get(RESOURCE)) : Set.of();
		var unknown = unknown(request, requested);
		if (unknown != null) {
			throw new OAuth2AuthenticationException(new OAuth2Error("invalid_target", describe(request, unknown), null));
		}
		if (!authorized.isEmpty() && !authorized.containsAll(requested)) {
			throw new OAuth2AuthenticationException(new OAuth2Error("invalid_target",
					"This app was authorized for " + String.join(", ", authorized) + " only.", null));
		}
		var audience = requested.isEmpty() ? authorized : requested;
		if (!audience.isEmpty()) {
			// A plain ArrayList: the claims are stored as JSON with their types, and Spring Security reads back only allowed ones.
			context.getClaims().audience(new java.util.ArrayList<>(audience));
		}
	}

	private String unknown(HttpServletRequest request, Collection<String> asked) {
		var served = resources.resources(request);
		return asked.stream().filter(resource -> !served.contains(resource)).findFirst().orElse(null);
	}

	private String describe(HttpServletRequest request, String unknown) {
		return "Familiar serves no resource " + unknown.substring(0, Math.min(unknown.length(), 200)) + "; ask for "
				+ String.join(" or ", new java.util.TreeSet<>(resources.resources(request))) + ".";
	}

	private static Set<String> values(Object value) {
		var result = new LinkedHashSet<String>();
		if (value instanceof String one) {
			result.add(one);
		}
		else if (value instanceof String[] many) {
			result.addAll(Arrays.asList(many));
		}
		else if (value instanceof Collection<?> many) {
			many.forEach(item -> result.add(String.valueOf(item)));
		}
		return result;
	}
}
