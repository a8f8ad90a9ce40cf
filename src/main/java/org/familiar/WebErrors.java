package org.familiar;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.multipart.MultipartException;

/**
 * Failures of a request's form that Spring MVC leaves as server errors, as 400s for every
 * controller (each module maps its own exceptions; Spring Boot's problem-details handler the
 * standard ones, an oversized upload among them: 413).
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
class WebErrors {

	/** An upload sent as something other than multipart/form-data, or cut off. */
	@ExceptionHandler(MultipartException.class)
	ProblemDetail notMultipart(MultipartException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
				"Send the file as multipart/form-data (a form with a file field).");
	}
}
