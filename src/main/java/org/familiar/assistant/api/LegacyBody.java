package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.familiar.compute.PassThrough;

/**
 * A legacy {@code /v1/completions} request, checked for what Familiar reads ({@code model},
 * {@code prompt}, the token cap, {@code n}/{@code best_of}, streaming) and otherwise passed through.
 */
record LegacyBody(String model, String prompt, int maxTokens, PassThrough passThrough) {

	/** OpenAI's reply length when a completions request sets none. */
	static final int DEFAULT_MAX_TOKENS = 16;

	static LegacyBody of(JsonNode tree) {
		if (!(tree instanceof ObjectNode body)) {
			throw new InvalidRequestException("The request body must be a JSON object.", null);
		}
		var model = ChatBody.model(body.get("model"));
		var prompt = body.get("prompt");
		var text = new StringBuilder();
		long bound = 8;
		if (prompt == null || prompt.isNull()) {
			throw new InvalidRequestException("'prompt' is a required property.", "prompt");
		}
		else if (prompt.isTextual()) {
			text.append(prompt.textValue());
			bound += ChatBody.utf8(prompt.textValue());
		}
		else if (prompt.isArray() && !prompt.isEmpty()) {
			for (int i = 0; i < prompt.size(); i++) {
				var item = prompt.get(i);
				if (item.isTextual()) {
					text.append(item.textValue());
					bound += ChatBody.utf8(item.textValue()) + 8;
				}
				else if (item.isIntegralNumber()) {
					bound += 1;
				}
				else if (item.isArray() && item.size() > 0) {
					bound += item.size() + 8;
				}
				else {
					throw new InvalidRequestException("Each prompt must be a string or an array of token ids.", "prompt[" + i + "]");
				}
			}
		}
		else {
			throw new InvalidRequestException("'prompt' must be a string, an array of strings or of token ids.", "prompt");
		}
		var max = body.get("max_tokens");
		int maxTokens = DEFAULT_MAX_TOKENS;
		if (max != null && !max.isNull()) {
			if (!max.isIntegralNumber() || !max.canConvertToInt() || max.intValue() < 1) {
				throw new InvalidRequestException("'max_tokens' must be an integer of at least 1.", "max_tokens");
			}
			maxTokens = max.intValue();
		}
		boolean stream = ChatBody.flag(body, "stream");
		var options = body.get("stream_options");
		boolean usageAsked = options != null && options.isObject() && ChatBody.flag(options, "include_usage");
		if (body.path("echo").asBoolean(false)) {
			// The prompt comes back as completion text too.
			bound *= 2;
		}
		return new LegacyBody(model, text.toString(), maxTokens,
				new PassThrough(PassThrough.COMPLETIONS, body, stream, usageAsked, "max_tokens", bound));
	}
}
