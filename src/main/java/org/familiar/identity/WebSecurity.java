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
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.web.authentication.SavedRequestAwareAuthenticationSuccessHandler;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfTokenRepository;
import org.springframework.security.web.savedrequest.CookieRequestCache;
import org.springframework.security.web.savedrequest.RequestCache;
import org.springframework.web.filter.OncePerRequestFilter;

/** Sessions for the web app: form login, CSRF, and the first-run page until an account exists. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
class WebSecurity {

	static final String[] PUBLIC = { "/login", "/setup", "/webjars/**", "/css/**", "/js/**", "/sw.js", "/img/**", "/favicon.ico", "/error",
			"/actuator/health/**", "/actuator/prometheus", "/verify", "/media/link/**" };

	@Bean
	@Order(100)
	SecurityFilterChain webApp(HttpSecurity http, IdentityManagement identity, GuessThrottle throttle,
			CsrfTokenRepository csrfTokens, RequestCache requestCache) throws Exception {
		var signedIn = new SavedRequestAwareAuthenticationSuccessHandler();
		signedIn.setDefaultTargetUrl("/chat");
		signedIn.setRequestCache(requestCache);
		return http
			.authorizeHttpRequests(requests -> requests.requestMatchers(PUBLIC)
				.permitAll()
				.requestMatchers("/admin/**")
				.hasRole("ADMIN")
				.anyRequest()
				.authenticated())
			.formLogin(form -> form.loginPage("/login")
				.successHandler((request, response, authentication) -> {
					throttle.signedIn(authentication.getName(), request.getRemoteAddr());
					request.getSession().setAttribute(SignedInSessions.ATTRIBUTE, new SignedInSessions.SignIn(
							SignedInSessions.SignIn.device(request.getHeader("User-Agent")), request.getRemoteAddr(),
							java.time.Instant.now()));
					if (authentication.getPrincipal() instanceof SignedInPerson person) {
						identity.signedIn(person.caller().person())
							.ifPresent(failed -> request.getSession().setAttribute(FailedSignIns.SESSION_ATTRIBUTE, failed));
					}
					signedIn.onAuthenticationSuccess(request, response, authentication);
				})
				.failureHandler((request, response, exception) -> {
					var username = request.getParameter("username");
					if (username != null && !username.isBlank()) {
						throttle.signInFailed(username, request.getRemoteAddr());
						if (exception instanceof BadCredentialsException) {
							identity.signInFailed(username, request.getRemoteAddr());
						}
					}
					response.sendRedirect(request.getContextPath()
							+ (exception instanceof org.springframework.security.authentication.DisabledException ? "/login?disabled" : "/login?error"));
				}))
			.logout(logout -> logout.logoutSuccessUrl("/login?signed-out"))
			.headers(SecurityHeaders::apply)
			// No session until someone signs in: the CSRF token and the page to return to live in cookies.
			.csrf(csrf -> csrf.csrfTokenRepository(csrfTokens))
			.requestCache(cache -> cache.requestCache(requestCache))
			.addFilterBefore(new FirstRun(identity), UsernamePasswordAuthenticationFilter.class)
			.addFilterBefore(new SignInThrottling(throttle), UsernamePasswordAuthenticationFilter.class)
			.addFilterBefore(new DeletedAccounts(identity), AuthorizationFilter.class)
			.addFilterBefore(new ErrorPageOnlyForErrors(), AuthorizationFilter.class)
			.build();
	}

	/**
	 * {@code /error} renders the error of another request; asked for itself it has no status to
	 * show (Spring Boot would answer 500), so it is a page that does not exist.
	 */
	static final class ErrorPageOnlyForErrors extends OncePerRequestFilter {

		@Override
		protected boolean shouldNotFilter(HttpServletRequest request) {
			return !request.getRequestURI().substring(request.getContextPath().length()).equals("/error");
		}

		@Override
		protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
				throws IOException {
			response.sendError(HttpServletResponse.SC_NOT_FOUND);
		}
	}

	/** The web app's CSRF tokens, shared by every chain that checks them (web, /api, consent forms). */
	@Bean
	CsrfTokenRepository csrfTokens() {
		var tokens = new CookieCsrfTokenRepository();
		tokens.setCookieCustomizer(cookie -> cookie.sameSite("Lax"));
		return tokens;
	}

	/** Where to go back to after signing in (an authorization request, say), kept in a cookie. */
	@Bean
	RequestCache requestCache() {
		return new CookieRequestCache();
	}

	/**
	 * Refuses a sign-in attempt, before its password is even checked, while the account or the
	 * address must wait ({@link GuessThrottle}); the login page says for how long.
	 */
	static final class SignInThrottling extends OncePerRequestFilter {

		private final GuessThrottle throttle;

		SignInThrottling(GuessThrottle throttle) {
			this.throttle = throttle;
		}

		@Override
		protected boolean shouldNotFilter(HttpServletRequest request) {
			return !"POST".equals(request.getMethod())
					|| !request.getRequestURI().substring(request.getContextPath().length()).equals("/login");
		}

		@Override
		protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
				throws ServletException, IOException {
			var username = request.getParameter("username");
			var wait = username == null ? java.time.Duration.ZERO : throttle.signInWait(username, request.getRemoteAddr());
			if (wait.isPositive()) {
				long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
				response.sendRedirect(request.getContextPath() + "/login?throttled=" + seconds);
				return;
			}
			chain.doFilter(request, response);
		}
	}

	@Bean
	UserDetailsService userDetailsService(IdentityManagement identity) {
		return username -> identity.credentials(username)
			.map(row -> new SignedInPerson(row.person(), row.passwordHash()))
			.orElseThrow(() -> new UsernameNotFoundException("No such account"));
	}

	/**
	 * Ends a session whose person has deleted their account (in another browser) or been disabled
	 * by an administrator: at once on every replica ({@link IdentityManagement#active}).
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
					&& !identity.active(person.caller().person())) {
				new SecurityContextLogoutHandler().logout(request, response, authentication);
				response.sendRedirect(request.getContextPath()
						+ (identity.exists(person.caller().person()) ? "/login?disabled" : "/login?deleted"));
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
					|| path.startsWith("/js/") || path.startsWith("/img/") || path.startsWith("/actuator/") || path.equals("/error");
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
