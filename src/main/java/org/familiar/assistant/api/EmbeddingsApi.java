package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.UUID;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.FinishReason;
import org.familiar.compute.PassThrough;
import org.familiar.identity.Caller;
import org.familiar.identity.ScopeMissingException;
import org.familiar.identity.Scopes;
import org.familiar.plans.PlansManagement;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /v1/embeddings}: passed through to a backend serving the model, or answered by
 * Familiar's own {@code familiar-embed}; metered on the plan (the input's tokens) and scheduled in
 * the caller's class like a chat completion.
 */
@RestController
@RequestMapping("/v1")
class EmbeddingsApi {

	/** The most inputs in one request, as OpenAI allows. */
	static final int MAX_INPUTS = 2048;

	private final PlansManagement plans;

	private final ObjectMapper json;

	EmbeddingsApi(PlansManagement plans, ObjectMapper json) {
		this.plans = plans;
		this.json = json;
	}

	@PostMapping(path = "/embeddings", consumes = MediaType.APPLICATION_JSON_VALUE)
	@Nullable ResponseEntity<byte[]> embed(@RequestBody byte[] raw, HttpServletRequest httpRequest) {
		var caller = Caller.of(SecurityContextHolder.getContext().getAuthentication())
			.orElseThrow(() -> new InsufficientAuthenticationException("No caller for this request"));
		ScopeMissingException.require(caller, Scopes.ASSISTANT);
		if (!(ChatBody.parse(json, raw) instanceof ObjectNode body)) {
			throw new InvalidRequestException("The request body must be a JSON object.", null);
		}
		var model = ChatBody.model(body.get("model"));
		var passThrough = new PassThrough(PassThrough.EMBEDDINGS, body, false, false, "max_tokens", bound(body.get("input")));
		var request = new ChatRequest(org.familiar.compute.RequestIds.next("embd-"), caller.person().toString(),
				caller.workload(), model, List.of(), 0, null, null, List.of())
			.withPassThrough(passThrough);
		var result = plans.run(caller, request, new PlainCaller(httpRequest));
		if (result.finishReason() == FinishReason.CANCELLED || result.wire() == null) {
			return null;
		}
		return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(result.wire());
	}

	/**
	 * An upper bound of the input's tokens: its UTF-8 bytes, one per token id given, and a few for
	 * each input's framing.
	 * @throws InvalidRequestException unless {@code input} is a string, or a non-empty array of strings, of token ids, or of arrays of token ids
	 */
	private static long bound(@Nullable JsonNode input) {
		if (input == null || input.isNull()) {
			throw new InvalidRequestException("'input' is a required property.", "input");
		}
		if (input.isTextual()) {
			if (input.textValue().isEmpty()) {
				throw new InvalidRequestException("'input' must not be empty.", "input");
			}
			return ChatBody.utf8(input.textValue()) + 4;
		}
		if (!input.isArray() || input.isEmpty() || input.size() > MAX_INPUTS) {
			throw new InvalidRequestException("'input' must be a string or an array of 1 to " + MAX_INPUTS
					+ " strings or token arrays.", "input");
		}
		long bound = 0;
		for (int i = 0; i < input.size(); i++) {
			var item = input.get(i);
			if (item.isTextual() && !item.textValue().isEmpty()) {
				bound += ChatBody.utf8(item.textValue()) + 4;
			}
			else if (item.isIntegralNumber()) {
				bound += 1;
			}
			else if (item.isArray() && !item.isEmpty() && allIntegers(item)) {
				bound += item.size() + 4;
			}
			else {
				throw new InvalidRequestException("Each input must be a non-empty string or an array of token ids.",
						"input[" + i + "]");
			}
		}
		return bound;
	}

	private static boolean allIntegers(JsonNode tokens) {
		for (var token : tokens) {
			if (!token.isIntegralNumber()) {
				return false;
			}
		}
		return true;
	}
}
