package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The Responses API in terms of chat completions, which every backend speaks: a request's
 * {@code instructions}, input items, function tools and text format become a chat request; a chat
 * completion (or its chunks) becomes a response's output items. Fields with the same meaning pass
 * under their chat names; built-in tools (web search, file search, …) have no chat equivalent and
 * are refused naming the tool.
 */
final class ResponsesTranslation {

	private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

	/** Fields copied to the chat request as they are. */
	private static final List<String> SAME = List.of("temperature", "top_p", "parallel_tool_calls", "metadata", "user",
			"top_logprobs", "service_tier", "stream");

	/** Fields that belong to the Responses API itself and are not sent on. */
	private static final List<String> OWN = List.of("model", "input", "instructions", "tools", "tool_choice",
			"max_output_tokens", "text", "reasoning", "previous_response_id", "store", "stream_options", "truncation",
			"include", "background", "conversation", "prompt_cache_key", "safety_identifier");

	private ResponsesTranslation() {
	}

	/**
	 * The chat request for a response.
	 * @param items every input item, the previous responses' first
	 * @throws InvalidRequestException naming a field or item that has no chat equivalent
	 */
	static ObjectNode chat(ObjectNode request, ArrayNode items) {
		var chat = NODES.objectNode();
		chat.set("model", request.get("model"));
		var messages = chat.putArray("messages");
		var instructions = request.get("instructions");
		if (instructions != null && instructions.isTextual() && !instructions.textValue().isEmpty()) {
			messages.addObject().put("role", "developer").put("content", instructions.textValue());
		}
		for (int i = 0; i < items.size(); i++) {
			message(items.get(i), "input[" + i + "]", messages);
		}
		for (var field : SAME) {
			if (request.hasNonNull(field)) {
				chat.set(field, request.get(field));
			}
		}
		if (request.hasNonNull("max_output_tokens")) {
			chat.set("max_tokens", request.get("max_output_tokens"));
		}
		if (request.path("reasoning").hasNonNull("effort")) {
			chat.set("reasoning_effort", request.path("reasoning").get("effort"));
		}
		var tools = request.get("tools");
		if (tools != null && !tools.isNull()) {
			if (!tools.isArray()) {
				throw new InvalidRequestException("'tools' must be an array.", "tools");
			}
			if (!tools.isEmpty()) {
				var chatTools = chat.putArray("tools");
				for (int i = 0; i < tools.size(); i++) {
					var tool = tools.get(i);
					if (!"function".equals(tool.path("type").asText())) {
						throw new InvalidRequestException("Familiar passes function tools only; '" + tool.path("type").asText()
								+ "' is a tool OpenAI runs itself.", "tools[" + i + "].type");
					}
					var function = chatTools.addObject().put("type", "function").putObject("function");
					for (var key : List.of("name", "description", "parameters", "strict")) {
						if (tool.hasNonNull(key)) {
							function.set(key, tool.get(key));
						}
					}
				}
			}
		}
		var choice = request.get("tool_choice");
		if (choice != null && !choice.isNull()) {
			chat.set("tool_choice", choice.isTextual() ? choice
					: NODES.objectNode().put("type", "function").set("function",
							NODES.objectNode().put("name", choice.path("name").asText())));
		}
		var format = request.path("text").path("format");
		switch (format.path("type").asText("text")) {
			case "json_schema" -> {
				var schema = chat.putObject("response_format").put("type", "json_schema").putObject("json_schema");
				for (var key : List.of("name", "description", "schema", "strict")) {
					if (format.hasNonNull(key)) {
						schema.set(key, format.get(key));
					}
				}
			}
			case "json_object" -> chat.putObject("response_format").put("type", "json_object");
			case "text" -> {
			}
			default -> throw new InvalidRequestException("Unknown text.format.type '" + format.path("type").asText() + "'.",
					"text.format.type");
		}
		if (chat.path("stream").asBoolean()) {
			chat.putObject("stream_options").put("include_usage", true);
		}
		// Anything else the client sent (vendor extras) goes on as it came.
		request.properties().forEach(field -> {
			if (!OWN.contains(field.getKey()) && !SAME.contains(field.getKey()) && !chat.has(field.getKey())) {
				chat.set(field.getKey(), field.getValue());
			}
		});
		return chat;
	}

	/** The input as items: a string is one user message. */
	static ArrayNode items(@Nullable JsonNode input) {
		if (input == null || input.isNull()) {
			throw new InvalidRequestException("'input' is a required property.", "input");
		}
		if (input.isTextual()) {
			var items = NODES.arrayNode();
			items.addObject().put("type", "message").put("role", "user").put("content", input.textValue());
			return items;
		}
		if (!input.isArray()) {
			throw new InvalidRequestException("'input' must be a string or an array of items.", "input");
		}
		return ((ArrayNode) input).deepCopy();
	}

	private static void message(JsonNode item, String param, ArrayNode messages) {
		if (!item.isObject()) {
			throw new InvalidRequestException("Each input item must be an object.", param);
		}
		var type = item.path("type").asText("message");
		switch (type) {
			case "message" -> {
				var role = item.path("role").asText();
				if (!List.of("user", "assistant", "system", "developer").contains(role)) {
					throw new InvalidRequestException("Invalid role '" + role + "'.", param + ".role");
				}
				var content = item.get("content");
				var message = messages.addObject().put("role", role);
				if (content == null || content.isNull() || content.isTextual()) {
					message.set("content", content == null ? NODES.textNode("") : content);
					return;
				}
				if (!content.isArray()) {
					throw new InvalidRequestException("'content' must be a string or an array of parts.", param + ".content");
				}
				if (role.equals("assistant")) {
					// An earlier reply: its text.
					var text = new StringBuilder();
					content.forEach(part -> text.append(part.path("text").asText("")));
					message.put("content", text.toString());
					return;
				}
				var parts = message.putArray("content");
				for (int j = 0; j < content.size(); j++) {
					parts.add(part(content.get(j), param + ".content[" + j + "]"));
				}
			}
			case "function_call" -> {
				// Consecutive calls are one assistant turn.
				var last = messages.isEmpty() ? null : (ObjectNode) messages.get(messages.size() - 1);
				ObjectNode turn = last != null && "assistant".equals(last.path("role").asText()) && last.has("tool_calls")
						? last : messages.addObject().put("role", "assistant").putNull("content");
				turn.withArray("tool_calls").addObject()
					.put("id", item.path("call_id").asText())
					.put("type", "function")
					.putObject("function")
					.put("name", item.path("name").asText())
					.put("arguments", item.path("arguments").asText("{}"));
			}
			case "function_call_output" -> {
				var output = item.get("output");
				messages.addObject()
					.put("role", "tool")
					.put("tool_call_id", item.path("call_id").asText())
					.put("content", output == null ? "" : output.isTextual() ? output.textValue() : output.toString());
			}
			case "reasoning" -> {
				// A model's earlier thinking: not sent back.
			}
			default -> throw new InvalidRequestException("Input items of type '" + type + "' are not supported.", param + ".type");
		}
	}

	private static ObjectNode part(JsonNode part, String param) {
		var type = part.path("type").asText();
		return switch (type) {
			case "input_text", "output_text", "text" -> NODES.objectNode().put("type", "text").put("text", part.path("text").asText());
			case "input_image" -> {
				var image = NODES.objectNode().put("type", "image_url");
				var url = image.putObject("image_url").put("url", part.path("image_url").asText());
				if (part.hasNonNull("detail")) {
					url.set("detail", part.get("detail"));
				}
				yield image;
			}
			case "input_file" -> {
				var file = NODES.objectNode().put("type", "file");
				var inner = file.putObject("file");
				for (var key : List.of("file_data", "file_id", "filename")) {
					if (part.hasNonNull(key)) {
						inner.set(key, part.get(key));
					}
				}
				yield file;
			}
			case "input_audio" -> NODES.objectNode().put("type", "input_audio").set("input_audio", part.get("input_audio"));
			default -> throw new InvalidRequestException("Content parts of type '" + type + "' are not supported.", param + ".type");
		};
	}
}
