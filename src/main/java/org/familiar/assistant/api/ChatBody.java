package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.PassThrough;
import org.familiar.memory.Recall;
import org.jspecify.annotations.Nullable;

/**
 * A chat completion request as the client sent it: checked for what Familiar needs to read (the
 * model, the messages' shape, the token cap, streaming), with a text view of its messages for
 * memory and the plan's estimate. Nothing else in it is read or changed: it goes to the backend as
 * it came (see {@link PassThrough}).
 */
final class ChatBody {

	final ObjectNode body;

	final String model;

	final boolean stream;

	final boolean usageAsked;

	final @Nullable Integer maxTokens;

	final String maxTokensField;

	final @Nullable Double temperature;

	/** The messages' text, tool results and all; non-text parts are left out. */
	final List<ChatMessage> messages;

	/**
	 * The UTF-8 bytes of all the prompt's text (no tokenizer makes more tokens than bytes) with 8 for
	 * each message's framing and 8 for the reply's, tools as {@link #tools} counts them, and
	 * {@link PassThrough#MEDIA_TOKENS} for each image, audio or file part instead of its bytes.
	 */
	private long promptBound;

	private ChatBody(ObjectNode body) {
		this.body = body;
		this.model = model(body.get("model"));
		this.stream = flag(body, "stream");
		var options = body.get("stream_options");
		if (options != null && !options.isNull() && !options.isObject()) {
			throw new InvalidRequestException("'stream_options' must be an object.", "stream_options");
		}
		this.usageAsked = options != null && flag(options, "include_usage");
		this.maxTokensField = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
		this.maxTokens = positive(body.get(maxTokensField), maxTokensField);
		positive(body.get("n"), "n");
		var temperature = body.get("temperature");
		if (temperature != null && !temperature.isNull() && !temperature.isNumber()) {
			throw new InvalidRequestException("'temperature' must be a number.", "temperature");
		}
		this.temperature = temperature == null || temperature.isNull() ? null : temperature.asDouble();
		this.promptBound = 8 + tools(body.get("tools")) + tools(body.get("functions"))
				+ textBytes(body.path("response_format"));
		this.messages = messages(body.get("messages"));
	}

	/**
	 * @throws InvalidRequestException naming the first field that is missing or of the wrong type
	 */
	static ChatBody of(JsonNode body) {
		if (!(body instanceof ObjectNode object)) {
			throw new InvalidRequestException("The request body must be a JSON object.", null);
		}
		return new ChatBody(object);
	}

	/**
	 * A {@code /v1} body as a tree.
	 * @throws InvalidRequestException if it is empty or not JSON, with the parser's first line
	 */
	static JsonNode parse(com.fasterxml.jackson.databind.ObjectMapper json, byte[] raw) {
		if (raw.length == 0) {
			throw new InvalidRequestException("We could not parse the JSON body of your request. (the body is empty) "
					+ "The OpenAI API expects a JSON payload.", null);
		}
		try {
			return json.readTree(raw);
		}
		catch (java.io.IOException ex) {
			var detail = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
			if (detail.contains("\n")) {
				detail = detail.substring(0, detail.indexOf('\n'));
			}
			throw new InvalidRequestException("We could not parse the JSON body of your request. (" + detail
					+ ") The OpenAI API expects a JSON payload.", null);
		}
	}

	/**
	 * What goes to the backend: the body with memory's system message merged into its own leading
	 * system (or developer) message, or put before the rest.
	 */
	PassThrough passThrough(Recall recall) {
		var system = recall.system();
		long bound = promptBound;
		if (system != null) {
			bound += utf8(system.content()) + 8;
			var messages = (ArrayNode) body.get("messages");
			var first = messages.get(0);
			var role = first.path("role").asText();
			if ((role.equals("system") || role.equals("developer")) && first.path("content").isTextual()) {
				((ObjectNode) first).put("content", recall.merged(first.get("content").textValue()));
			}
			else if ((role.equals("system") || role.equals("developer")) && first.path("content").isArray()) {
				((ArrayNode) first.get("content")).insertObject(0)
					.put("type", "text")
					.put("text", system.content() + "\n\n");
			}
			else {
				messages.insertObject(0).put("role", "system").put("content", system.content());
			}
		}
		return new PassThrough(PassThrough.CHAT, body, stream, usageAsked, maxTokensField, bound);
	}

	private List<ChatMessage> messages(@Nullable JsonNode messages) {
		if (messages == null || messages.isNull()) {
			throw new InvalidRequestException("'messages' is a required property.", "messages");
		}
		if (!messages.isArray() || messages.isEmpty()) {
			throw new InvalidRequestException("'messages' must be a non-empty array.", "messages");
		}
		var view = new ArrayList<ChatMessage>(messages.size());
		for (int i = 0; i < messages.size(); i++) {
			view.add(message(messages.get(i), "messages[" + i + "]"));
		}
		return view;
	}

	private ChatMessage message(JsonNode message, String param) {
		if (!message.isObject()) {
			throw new InvalidRequestException("Invalid type for '" + param + "': expected an object, but got "
					+ message.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + ".", param);
		}
		var roleNode = message.get("role");
		var role = switch (roleNode == null || !roleNode.isTextual() ? "" : roleNode.textValue()) {
			case "system", "developer" -> ChatMessage.Role.SYSTEM;
			case "user" -> ChatMessage.Role.USER;
			case "assistant" -> ChatMessage.Role.ASSISTANT;
			case "tool", "function" -> ChatMessage.Role.TOOL;
			default -> throw new InvalidRequestException("Invalid value for '" + param + ".role': "
					+ (roleNode == null ? "missing" : roleNode.toString())
					+ ". Supported: system, developer, user, assistant, tool, function.", param + ".role");
		};
		// The template's framing, and any name, tool call or tool call id the message carries.
		promptBound += 8;
		message.properties().forEach(field -> {
			if (!field.getKey().equals("role") && !field.getKey().equals("content")) {
				promptBound += textBytes(field.getValue());
			}
		});
		return new ChatMessage(role, text(message.get("content"), param + ".content"));
	}

	/**
	 * Tool definitions as a chat template renders them: their text, their JSON's punctuation, and
	 * the preamble templates put before a tool list.
	 */
	private static long tools(@Nullable JsonNode tools) {
		if (tools == null || tools.isNull() || tools.isEmpty()) {
			return 0;
		}
		return 256 + textBytes(tools) + 4L * nodes(tools);
	}

	private static long nodes(JsonNode node) {
		long count = 1;
		for (var child : node) {
			count += nodes(child);
		}
		return count;
	}

	private String text(@Nullable JsonNode content, String param) {
		if (content == null || content.isNull()) {
			return "";
		}
		if (content.isTextual()) {
			promptBound += utf8(content.textValue());
			return content.textValue();
		}
		if (!content.isArray()) {
			throw new InvalidRequestException("'content' must be a string or an array of content parts.", param);
		}
		var text = new StringBuilder();
		for (int j = 0; j < content.size(); j++) {
			var part = content.get(j);
			var type = part.path("type");
			if (!part.isObject() || !type.isTextual()) {
				throw new InvalidRequestException("Each content part must be an object with a 'type'.",
						param + "[" + j + "]");
			}
			if (type.textValue().equals("text")) {
				if (!part.path("text").isTextual()) {
					throw new InvalidRequestException("A text part needs its 'text' as a string.", param + "[" + j + "].text");
				}
				text.append(part.get("text").textValue());
				promptBound += utf8(part.get("text").textValue());
			}
			else {
				// An image, audio clip or file: reserved at a fixed allowance, not at its (base64) size.
				promptBound += PassThrough.MEDIA_TOKENS;
			}
		}
		return text.toString();
	}

	/** The UTF-8 bytes of every string in a part (a data URL is nearly all of a media part's bytes). */
	private static long textBytes(JsonNode node) {
		if (node.isTextual()) {
			return utf8(node.textValue());
		}
		long bytes = 0;
		for (var child : node) {
			bytes += textBytes(child);
		}
		return bytes;
	}

	static String model(@Nullable JsonNode model) {
		if (model == null || !model.isTextual() || model.textValue().isBlank()) {
			throw new InvalidRequestException("You must provide a model parameter.", "model");
		}
		return model.textValue();
	}

	/** A boolean field, or {@code false} when absent. */
	static boolean flag(JsonNode node, String field) {
		var value = node.get(field);
		if (value == null || value.isNull()) {
			return false;
		}
		if (!value.isBoolean()) {
			throw new InvalidRequestException("'" + field + "' must be true or false.", field);
		}
		return value.booleanValue();
	}

	private static @Nullable Integer positive(@Nullable JsonNode value, String field) {
		if (value == null || value.isNull()) {
			return null;
		}
		if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1) {
			throw new InvalidRequestException("'" + field + "' must be an integer of at least 1.", field);
		}
		return value.intValue();
	}

	static long utf8(String text) {
		long bytes = 0;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
		}
		return bytes;
	}
}
