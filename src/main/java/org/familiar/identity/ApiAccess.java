package org.familiar.identity;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CsrfTokenRepository;

/**
 * {@code /api/**} (usage, memories, …) takes a bearer token or the web app's session. Requests
 * with a bearer token carry no cookie authority, so CSRF applies only to session requests.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
class ApiAccess {

	/** {@code POST /api/media/verify}: public. */
	static final String VERIFY = "/api/media/verify";

	@Bean
	@Order(50)
	SecurityFilterChain api(HttpSecurity http, AccessTokenIntrospector tokens, CsrfTokenRepository csrfTokens,
			ObjectMapper json) throws Exception {
		AuthenticationEntryPoint unauthenticated = (request, response, ex) -> unauthenticated(request, response, ex, json);
		return http.securityMatcher("/api/**")
			// Anyone may ask where a file came from; it reads nothing of anyone's and changes nothing.
			.authorizeHttpRequests(requests -> requests.requestMatchers(org.springframework.http.HttpMethod.POST, VERIFY)
				.permitAll()
				.anyRequest()
				.authenticated())
			.oauth2ResourceServer(server -> server.opaqueToken(opaque -> opaque.introspector(tokens.forResource(null)))
				.authenticationEntryPoint(unauthenticated))
			.csrf(csrf -> csrf.csrfTokenRepository(csrfTokens)
				.ignoringRequestMatchers(request -> request.getHeader("Authorization") != null)
				.ignoringRequestMatchers(VERIFY))
			.headers(SecurityHeaders::apply)
			.exceptionHandling(handling -> handling.authenticationEntryPoint(unauthenticated))
			.build();
	}

	/** 401 as problem details, or 429 with Retry-After for an address that guessed too many tokens. */
	private static void unauthenticated(HttpServletRequest request, HttpServletResponse response,
			AuthenticationException ex, ObjectMapper json) throws IOException {
		var throttled = ex instanceof GuessesThrottledException guesses ? guesses : null;
		var status = throttled != null ? HttpStatus.TOO_MANY_REQUESTS : HttpStatus.UNAUTHORIZED;
		var problem = ProblemDetail.forStatusAndDetail(status, throttled != null ? ex.getMessage()
				: "Sign in, or send an access token: 'Authorization: Bearer YOUR_TOKEN'.");
		response.setStatus(status.value());
		if (throttled != null) {
			response.setHeader("Retry-After", Long.toString(throttled.retryAfterSeconds()));
		}
		else {
			response.setHeader("WWW-Authenticate", request.getHeader("Authorization") != null
					? "Bearer error=\"invalid_token\"" : "Bearer");
		}
		response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
		json.writeValue(response.getOutputStream(), problem);
	}
}
