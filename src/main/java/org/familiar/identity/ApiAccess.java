package org.familiar.identity;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.HttpStatusEntryPoint;

/**
 * {@code /api/**} (usage, memories, …) takes a bearer token or the web app's session. Requests
 * with a bearer token carry no cookie authority, so CSRF applies only to session requests.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
class ApiAccess {

	@Bean
	@Order(50)
	SecurityFilterChain api(HttpSecurity http, AccessTokenIntrospector tokens) throws Exception {
		return http.securityMatcher("/api/**")
			.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
			.oauth2ResourceServer(server -> server.opaqueToken(opaque -> opaque.introspector(tokens)))
			.csrf(csrf -> csrf.ignoringRequestMatchers(request -> request.getHeader("Authorization") != null))
			.exceptionHandling(handling -> handling.authenticationEntryPoint(new HttpStatusEntryPoint(HttpStatus.UNAUTHORIZED)))
			.build();
	}
}
