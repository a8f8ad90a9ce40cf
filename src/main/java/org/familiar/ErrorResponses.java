package org.familiar;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.jspecify.annotations.Nullable;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/**
 * Spring MVC's standard failures as problem details (what Spring Boot's own handler does, in its
 * place and order), except that a browser asking for a page that does not exist gets the app's
 * "Page not found" page ({@code templates/error/404.html}) instead of JSON. APIs ({@code /api},
 * {@code /v1}, the authorization server) keep their JSON.
 */
@ControllerAdvice
@Order(0)
class ErrorResponses extends ResponseEntityExceptionHandler {

	private static final String[] MACHINE_PATHS = { "/api/", "/v1/", "/oauth2/", "/.well-known/", "/actuator/", "/userinfo",
			"/connect/" };

	@Override
	protected @Nullable ResponseEntity<Object> handleNoResourceFoundException(NoResourceFoundException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		if (request instanceof org.springframework.web.context.request.ServletWebRequest servlet && wantsPage(servlet.getRequest())
				&& servlet.getResponse() instanceof HttpServletResponse response) {
			try {
				// The error dispatch renders the page with the status, as for every other error.
				response.sendError(HttpServletResponse.SC_NOT_FOUND);
				return null;
			}
			catch (IOException gone) {
				return null;
			}
		}
		return super.handleNoResourceFoundException(ex, headers, status, request);
	}

	static boolean wantsPage(HttpServletRequest request) {
		var accept = request.getHeader(HttpHeaders.ACCEPT);
		if (accept == null || !accept.contains("text/html")) {
			return false;
		}
		var path = request.getRequestURI().substring(request.getContextPath().length());
		for (var machine : MACHINE_PATHS) {
			if (path.startsWith(machine)) {
				return false;
			}
		}
		return true;
	}
}
