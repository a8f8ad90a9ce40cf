package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.familiar.compute.BackendException;
import org.familiar.compute.BackendFailedException;
import org.familiar.compute.BackendRejectedException;
import org.familiar.compute.BackendUnavailableException;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.ModelNotFoundException;
import org.familiar.compute.UnsupportedFieldException;
import org.familiar.identity.GuessesThrottledException;
import org.familiar.identity.ProtectedResources;
import org.familiar.plans.PlanForbiddenException;
import org.familiar.plans.QuotaExceededException;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Every failure of {@code /v1} as OpenAI-shaped JSON with the right status; also the
 * authentication entry point, so a missing or bad token gets the same shape.
 */
@RestControllerAdvice(assignableTypes = { ChatCompletionsApi.class, EmbeddingsApi.class, ResponsesApi.class, ImagesAndVideosApi.class })
@Order(Ordered.HIGHEST_PRECEDENCE)
public class OpenAiErrors implements AuthenticationEntryPoint {

	private static final Logger log = LoggerFactory.getLogger(OpenAiErrors.class);

	private final ObjectMapper json;

	private final ProtectedResources resources;

	OpenAiErrors(ObjectMapper json, ProtectedResources resources) {
		this.json = json;
		this.resources = resources;
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> invalid(InvalidRequestException ex) {
		return error(HttpStatus.BAD_REQUEST, ex.getMessage(), "invalid_request_error", ex.param(), null);
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> unreadable(HttpMessageNotReadableException ex) {
		if (RequestSizeLimit.tooLarge(ex)) {
			return tooLarge();
		}
		// Jackson's own message names the field and the position; without a cause the body was empty
		// (Spring's message then names the handler method, which is no business of the client's).
		var detail = ex.getCause() == null ? "the body is empty" : ex.getMostSpecificCause().getMessage();
		if (detail != null && detail.contains("\n")) {
			detail = detail.substring(0, detail.indexOf('\n'));
		}
		return error(HttpStatus.BAD_REQUEST,
				"We could not parse the JSON body of your request. (" + detail
						+ ") The OpenAI API expects a JSON payload.",
				"invalid_request_error", null, null);
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> mediaType(HttpMediaTypeNotSupportedException ex) {
		return error(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "Send the request body as application/json.",
				"invalid_request_error", null, null);
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> method(HttpRequestMethodNotSupportedException ex) {
		return error(HttpStatus.METHOD_NOT_ALLOWED, "This endpoint does not accept " + ex.getMethod() + ".",
				"invalid_request_error", null, "method_not_allowed");
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> unknownPath(UnknownPathException ex, HttpServletRequest request) {
		return error(HttpStatus.NOT_FOUND, "Unknown request URL: " + request.getMethod() + " "
				+ request.getRequestURI() + ".", "invalid_request_error", null, "unknown_url");
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> modelNotFound(ModelNotFoundException ex) {
		return error(HttpStatus.NOT_FOUND, ex.getMessage(), "invalid_request_error", "model", "model_not_found");
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> responseNotFound(ResponsesApi.ResponseNotFoundException ex) {
		return error(HttpStatus.NOT_FOUND, ex.getMessage(), "invalid_request_error", null, null);
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> rights(org.familiar.media.RightsRestrictedException ex) {
		return error(HttpStatus.FORBIDDEN, ex.getMessage() + " (rule: " + ex.rule() + ")", "invalid_request_error", ex.param(),
				"rights_restricted");
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> invalidMedia(org.familiar.media.InvalidMediaException ex) {
		return error(HttpStatus.BAD_REQUEST, ex.getMessage(), "invalid_request_error", ex.param(), null);
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> noMedia(org.familiar.media.MediaNotFoundException ex) {
		return error(HttpStatus.NOT_FOUND, ex.getMessage(), "invalid_request_error", null, "not_found");
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> unsupported(UnsupportedFieldException ex) {
		return error(HttpStatus.BAD_REQUEST, ex.getMessage(), "invalid_request_error", ex.param(), "unsupported_parameter");
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> quota(QuotaExceededException ex) {
		long seconds = Math.max(1, Duration.between(Instant.now(), ex.resetsAt()).toSeconds());
		return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
			.header("Retry-After", Long.toString(seconds))
			.contentType(MediaType.APPLICATION_JSON)
			.body(OpenAiError.of(ex.getMessage(), "insufficient_quota", null, "insufficient_quota"));
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> scope(org.familiar.identity.ScopeMissingException ex) {
		return ResponseEntity.status(HttpStatus.FORBIDDEN)
			.header("WWW-Authenticate", "Bearer error=\"insufficient_scope\", scope=\"" + ex.scope() + "\"")
			.contentType(MediaType.APPLICATION_JSON)
			.body(OpenAiError.of(ex.getMessage(), "invalid_request_error", null, "insufficient_scope"));
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> notInPlan(PlanForbiddenException ex) {
		return error(HttpStatus.FORBIDDEN, ex.getMessage(), "invalid_request_error", ex.param(), "not_in_plan");
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> capacity(CapacityExceededException ex) {
		return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
			.header("Retry-After", Long.toString(Math.max(1, ex.retryAfter().toSeconds())))
			.contentType(MediaType.APPLICATION_JSON)
			.body(body(ex));
	}

	static OpenAiError body(CapacityExceededException ex) {
		return OpenAiError.of(ex.getMessage(), "requests", null, "rate_limit_exceeded");
	}

	@ExceptionHandler
	ResponseEntity<OpenAiError> backend(BackendException ex) {
		var body = body(ex);
		var status = switch (ex) {
			case BackendUnavailableException unavailable -> HttpStatus.SERVICE_UNAVAILABLE;
			case BackendRejectedException rejected -> HttpStatus.valueOf(rejected.status());
			default -> HttpStatus.BAD_GATEWAY;
		};
		log.warn("{} {}", status.value(), ex.getMessage());
		return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(body);
	}

	static OpenAiError body(BackendException ex) {
		return switch (ex) {
			case BackendUnavailableException unavailable ->
				OpenAiError.of(ex.getMessage(), "api_error", null, "backend_unavailable");
			case BackendRejectedException rejected ->
				OpenAiError.of(ex.getMessage(), "invalid_request_error", rejected.param(), "backend_rejected");
			case BackendFailedException failed -> OpenAiError.of(ex.getMessage(), "api_error", null, "backend_error");
			default -> OpenAiError.of(ex.getMessage(), "api_error", null, "backend_error");
		};
	}

	/** Anything unexpected still answers in OpenAI's shape, without internals; the log has the details. */
	@ExceptionHandler
	ResponseEntity<OpenAiError> unexpected(Exception ex, HttpServletRequest request) {
		log.error("Unexpected failure on {} {}", request.getMethod(), request.getRequestURI(), ex);
		return error(HttpStatus.INTERNAL_SERVER_ERROR,
				"Familiar failed to handle the request; the server log has the details.", "server_error", null,
				"internal_error");
	}

	static ResponseEntity<OpenAiError> tooLarge() {
		return error(HttpStatus.PAYLOAD_TOO_LARGE, "The request body is too large.", "invalid_request_error", null,
				"request_too_large");
	}

	private static ResponseEntity<OpenAiError> error(HttpStatus status, String message, String type,
			@Nullable String param, @Nullable String code) {
		return ResponseEntity.status(status)
			.contentType(MediaType.APPLICATION_JSON)
			.body(OpenAiError.of(message, type, param, code));
	}

	@Override
	public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException ex)
			throws IOException {
		if (ex instanceof GuessesThrottledException throttled) {
			response.setStatus(HttpStatus.TOO_MANY_REQUESTS.value());
			response.setHeader("Retry-After", Long.toString(throttled.retryAfterSeconds()));
			response.setContentType(MediaType.APPLICATION_JSON_VALUE);
			json.writeValue(response.getOutputStream(),
					OpenAiError.of(ex.getMessage(), "invalid_request_error", null, "too_many_invalid_tokens"));
			return;
		}
		boolean invalid = ex instanceof InvalidBearerTokenException;
		boolean elsewhere = invalid && ex.getMessage() != null && ex.getMessage().startsWith("This token");
		var message = elsewhere ? ex.getMessage() : invalid ? "Incorrect API key provided, or it has been revoked."
				: "You didn't provide an API key. Send it in an Authorization header: 'Authorization: Bearer YOUR_KEY'.";
		response.setStatus(HttpStatus.UNAUTHORIZED.value());
		response.setHeader("WWW-Authenticate", resources.challenge(request, ProtectedResources.V1,
				invalid ? "invalid_token" : null, elsewhere ? message : null));
		response.setContentType(MediaType.APPLICATION_JSON_VALUE);
		json.writeValue(response.getOutputStream(),
				OpenAiError.of(message, "invalid_request_error", null, invalid ? "invalid_api_key" : "missing_api_key"));
	}
}
