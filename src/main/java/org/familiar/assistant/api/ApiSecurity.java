package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.familiar.assistant.AssistantSettings;
import org.familiar.identity.AccessTokenIntrospector;
import org.familiar.identity.ProtectedResources;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;

/**
 * {@code /v1} is stateless: bearer tokens only, no sessions, no CSRF (no cookies are read). Filters
 * a program's API call has no use for (anonymous identity, servlet API wrappers, browser security
 * headers, logout) are left out: each wraps or inspects every request on the hot path.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
class ApiSecurity {

	@Bean
	@Order(1)
	SecurityFilterChain openAiApi(HttpSecurity http, AccessTokenIntrospector tokens, OpenAiErrors errors)
			throws Exception {
		return http.securityMatcher("/v1/**")
			.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
			.csrf(csrf -> csrf.disable())
			.sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.requestCache(cache -> cache.disable())
			.anonymous(anonymous -> anonymous.disable())
			.servletApi(servletApi -> servletApi.disable())
			.headers(headers -> headers.disable())
			.logout(logout -> logout.disable())
			.oauth2ResourceServer(server -> server.opaqueToken(opaque -> opaque.introspector(tokens.forResource(ProtectedResources.V1)))
				.authenticationEntryPoint(errors))
			.exceptionHandling(handling -> handling.authenticationEntryPoint(errors))
			.build();
	}

	@Bean
	FilterRegistrationBean<RequestSizeLimit> requestSizeLimit(AssistantSettings settings, ObjectMapper json) {
		var registration = new FilterRegistrationBean<>(new RequestSizeLimit(settings, json));
		registration.addUrlPatterns("/v1/*");
		registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
		return registration;
	}
}
