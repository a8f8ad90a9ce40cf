package org.familiar.identity.oauth;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * RFC 6749 §3.1: a parameter must not be sent more than once. Spring Authorization Server turns a
 * repeated one into an array and, in places (a public client's {@code code} next to its
 * {@code code_verifier}), casts it to a string, answering 500. This refuses such requests at the
 * token, device authorization, revocation and introspection endpoints first, with the OAuth error
 * a client expects. ({@code resource} may repeat, RFC 8707; the consent forms repeat {@code scope}
 * and are not among these endpoints.)
 */
final class SingleValuedParameters extends OncePerRequestFilter {

	private static final Set<String> MAY_REPEAT = Set.of("resource");

	private final Set<String> endpoints;

	SingleValuedParameters(AuthorizationServerSettings settings) {
		this.endpoints = Set.of(settings.getTokenEndpoint(), settings.getDeviceAuthorizationEndpoint(),
				settings.getTokenRevocationEndpoint(), settings.getTokenIntrospectionEndpoint());
	}

	@Override
	protected boolean shouldNotFilter(HttpServletRequest request) {
		return !endpoints.contains(request.getRequestURI().substring(request.getContextPath().length()));
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		for (var parameter : request.getParameterMap().entrySet()) {
			if (parameter.getValue().length > 1 && !MAY_REPEAT.contains(parameter.getKey())) {
				response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
				response.setContentType(MediaType.APPLICATION_JSON_VALUE);
				response.setCharacterEncoding("UTF-8");
				var name = parameter.getKey().replaceAll("[^A-Za-z0-9_.-]", "?");
				response.getWriter().write("{\"error\":\"invalid_request\",\"error_description\":\"OAuth 2.0 Parameter: "
						+ name + " (sent more than once)\"}");
				return;
			}
		}
		chain.doFilter(request, response);
	}
}
