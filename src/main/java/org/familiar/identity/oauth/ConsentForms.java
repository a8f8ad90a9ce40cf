package org.familiar.identity.oauth;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.access.AccessDeniedHandlerImpl;
import org.springframework.security.web.csrf.CsrfTokenRepository;
import org.springframework.security.web.csrf.InvalidCsrfTokenException;
import org.springframework.security.web.csrf.MissingCsrfTokenException;
import org.springframework.security.web.csrf.XorCsrfTokenRequestAttributeHandler;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * CSRF protection for the two consent forms a person submits to the authorization server: the
 * authorization consent ({@code POST /oauth2/authorize} without {@code response_type}) and the
 * device consent ({@code POST /oauth2/device_verification}). Spring Authorization Server turns
 * CSRF off for all its endpoints, so only {@code state} protected these; an attacker who made the
 * browser post them could approve their own app or device. The token is the web app's (the same
 * repository and masking as its {@code CsrfFilter}, which cannot run twice in one request).
 * Requests from apps (authorization requests, token, revoke, …) are not touched.
 */
final class ConsentForms extends OncePerRequestFilter {

	private final CsrfTokenRepository tokens;

	private final XorCsrfTokenRequestAttributeHandler masking = new XorCsrfTokenRequestAttributeHandler();

	private final AccessDeniedHandler denied = new AccessDeniedHandlerImpl();

	private final String authorize;

	private final String deviceVerification;

	ConsentForms(CsrfTokenRepository tokens, AuthorizationServerSettings settings) {
		this.tokens = tokens;
		this.authorize = settings.getAuthorizationEndpoint();
		this.deviceVerification = settings.getDeviceVerificationEndpoint();
	}

	@Override
	protected boolean shouldNotFilter(HttpServletRequest request) {
		if (!"POST".equals(request.getMethod())) {
			return true;
		}
		var path = request.getRequestURI().substring(request.getContextPath().length());
		if (path.equals(deviceVerification)) {
			return false;
		}
		return !(path.equals(authorize) && request.getParameter(OAuth2ParameterNames.RESPONSE_TYPE) == null);
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		var expected = tokens.loadToken(request);
		if (expected == null) {
			denied.handle(request, response, new MissingCsrfTokenException(null));
			return;
		}
		var actual = masking.resolveCsrfTokenValue(request, expected);
		if (actual == null || !MessageDigest.isEqual(expected.getToken().getBytes(StandardCharsets.UTF_8),
				actual.getBytes(StandardCharsets.UTF_8))) {
			denied.handle(request, response, new InvalidCsrfTokenException(expected, actual));
			return;
		}
		chain.doFilter(request, response);
	}
}
