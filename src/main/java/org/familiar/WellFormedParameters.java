package org.familiar;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A query or form parameter holding a NUL character ({@code %00}) is refused with 400 before any
 * handler sees it: no form of Familiar's takes one, and PostgreSQL cannot store or even compare
 * such text, so it would otherwise end as a server error wherever it reached a query. (Invalid
 * UTF-8 is already decoded to U+FFFD by Tomcat; multipart fields are checked where they are
 * used; {@code /v1} takes no parameters.)
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
class WellFormedParameters extends OncePerRequestFilter {

	@Override
	protected boolean shouldNotFilter(HttpServletRequest request) {
		var type = request.getContentType();
		return request.getRequestURI().startsWith(request.getContextPath() + "/v1/")
				|| type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/");
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		for (var parameter : request.getParameterMap().entrySet()) {
			for (var value : parameter.getValue()) {
				if (value.indexOf('\0') >= 0 || parameter.getKey().indexOf('\0') >= 0) {
					response.setStatus(HttpStatus.BAD_REQUEST.value());
					response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
					response.setCharacterEncoding("UTF-8");
					response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
							+ "\"detail\":\"A parameter holds a NUL character (%00); none of Familiar's forms takes one.\"}");
					return;
				}
			}
		}
		chain.doFilter(request, response);
	}
}
