package org.familiar.identity;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.core.userdetails.UsernameNotFoundException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.authentication.logout.SecurityContextLogoutHandler;
import org.springframework.security.web.authentication.UsernamePasswordAuthenticationFilter;
import org.springframework.web.filter.OncePerRequestFilter;

/** Sessions for the web app: form login, CSRF, and the first-run page until an account exists. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
class WebSecurity {

	static final String[] PUBLIC = { "/login", "/setup", "/webjars/**", "/css/**", "/js/**", "/favicon.ico", "/error",
			"/actuator/health/**", "/actuator/prometheus" };

	@Bean
	@Order(100)
	SecurityFilterChain webApp(HttpSecurity http, IdentityManagement identity) throws Exception {
		return http
			.authorizeHttpRequests(requests -> requests.requestMatchers(PUBLIC)
				.permitAll()
				.requestMatchers("/admin/**")
				.hasRole("ADMIN")
				.anyRequest()
				.authenticated())
			.formLogin(form -> form.loginPage("/login").defaultSuccessUrl("/chat", false))
			.logout(logout -> logout.logoutSuccessUrl("/login?signed-out"))
			.addFilterBefore(new FirstRun(identity), UsernamePasswordAuthenticationFilter.class)
			.addFilterBefore(new DeletedAccounts(identity), AuthorizationFilter.class)
			.build();
	}

	@Bean
	UserDetailsService userDetailsService(IdentityManagement identity) {
		return username -> identity.credentials(username)
			.map(row -> new SignedInPerson(row.person(), row.passwordHash()))
			.orElseThrow(() -> new UsernameNotFoundException("No such account"));
	}

	/**
	 * Ends a session whose person has deleted their account (in another browser, or on another
	 * replica within {@link IdentityManagement#exists}'s cache time).
	 */
	static final class DeletedAccounts extends OncePerRequestFilter {

		private final IdentityManagement identity;

		DeletedAccounts(IdentityManagement identity) {
			this.identity = identity;
		}

		@Override
		protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
				throws ServletException, IOException {
			var authentication = SecurityContextHolder.getContext().getAuthentication();
			if (authentication != null && authentication.getPrincipal() instanceof SignedInPerson person
					&& !identity.exists(person.caller().person())) {
				new SecurityContextLogoutHandler().logout(request, response, authentication);
				response.sendRedirect(request.getContextPath() + "/login?deleted");
				return;
			}
			chain.doFilter(request, response);
		}
	}

	/** Until the first account exists, every page of the web app leads to {@code /setup}. */
	static final class FirstRun extends OncePerRequestFilter {

		private final IdentityManagement identity;

		FirstRun(IdentityManagement identity) {
			this.identity = identity;
		}

		@Override
		protected boolean shouldNotFilter(HttpServletRequest request) {
			var path = request.getRequestURI().substring(request.getContextPath().length());
			return path.equals("/setup") || path.startsWith("/webjars/") || path.startsWith("/css/")
					|| path.startsWith("/js/") || path.startsWith("/actuator/") || path.equals("/error");
		}

		@Override
		protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
				throws ServletException, IOException {
			if (identity.hasPeople()) {
				chain.doFilter(request, response);
			}
			else {
				response.sendRedirect(request.getContextPath() + "/setup");
			}
		}
	}
}
