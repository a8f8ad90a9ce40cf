package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * One response being built from a chat reply: from its chunks as they come (emitting the
 * Responses API's typed stream events as it goes), from a whole chat completion, or from text.
 * {@link #finish} closes every open item and gives the response object.
 */
final class ResponseOutput {

	/** Where a streamed response's events go; {@code null} for a plain one. */
	interface Events {

		void send(String type, ObjectNode event) throws IOException;
	}

	private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

	private final String id;

	private final String model;

	private final long createdAt;

	private final ObjectNode request;

	private final @Nullable Events events;

	private int sequence;

	/** Output items in the order they were opened. */
	private final List<ObjectNode> output = new ArrayList<>();

	private @Nullable ObjectNode message;

	private final StringBuilder text = new StringBuilder();

	private @Nullable ObjectNode reasoning;

	private final StringBuilder thinking = new StringBuilder();

	private final TreeMap<Integer, ObjectNode> calls = new TreeMap<>();

	private final TreeMap<Integer, StringBuilder> arguments = new TreeMap<>();

	private @Nullable String finishReason;

	private @Nullable JsonNode usage;

	ResponseOutput(String id, String model, ObjectNode request, @Nullable Events events) {
		this.id = id;
		this.model = model;
		this.request = request;
		this.events = events;
		this.createdAt = System.currentTimeMillis() / 1000;
	}

	/** Announces the response (streamed only). */
	void start() throws IOException {
		var created = event();
		created.set("response", response("in_progress"));
		emit("response.created", created);
		var progress = event();
		progress.set("response", response("in_progress"));
		emit("response.in_progress", progress);
	}

	/** One chat completion chunk. */
	void chunk(JsonNode chunk) throws IOException {
		if (chunk.hasNonNull("usage")) {
			usage = chunk.get("usage");
		}
		var choice = chunk.path("choices").path(0);
		if (choice.isMissingNode()) {
			return;
		}
		var delta = choice.path("delta");
		var thought = delta.path("reasoning_content");
		if (thought.isTextual() && !thought.textValue().isEmpty()) {
			reason(thought.textValue());
		}
		var content = delta.path("content");
		if (content.isTextual() && !content.textValue().isEmpty()) {
			text(content.textValue());
		}
		for (var call : delta.path("tool_calls")) {
			call(call.path("index").asInt(0), call);
		}
		if (choice.path("finish_reason").isTextual()) {
			finishReason = choice.get("finish_reason").textValue();
		}
	}

	/** A whole chat completion (a plain reply). */
	void whole(JsonNode completion) throws IOException {
		usage = completion.get("usage");
		var choice = completion.path("choices").path(0);
		var message = choice.path("message");
		if (message.path("reasoning_content").isTextual()) {
			reason(message.get("reasoning_content").textValue());
		}
		if (message.path("content").isTextual()) {
			text(message.get("content").textValue());
		}
		int index = 0;
		for (var call : message.path("tool_calls")) {
			call(index++, call);
		}
		finishReason = choice.path("finish_reason").asText(null);
	}

	/** A piece of the reply's text. */
	void text(String piece) throws IOException {
		if (message == null) {
			message = NODES.objectNode()
				.put("id", "msg_" + hex())
				.put("type", "message")
				.put("status", "in_progress")
				.put("role", "assistant");
			message.putArray("content");
			open(message);
			var added = item(message);
			added.set("part", outputText(""));
			added.put("content_index", 0);
			emit("response.content_part.added", added);
		}
		text.append(piece);
		var delta = item(message).put("content_index", 0).put("delta", piece);
		delta.putArray("logprobs");
		emit("response.output_text.delta", delta);
	}

	private void reason(String piece) throws IOException {
		if (reasoning == null) {
			reasoning = NODES.objectNode().put("id", "rs_" + hex()).put("type", "reasoning");
			reasoning.putArray("summary");
			open(reasoning);
		}
		thinking.append(piece);
	}

	private void call(int index, JsonNode delta) throws IOException {
		var call = calls.get(index);
		if (call == null) {
			call = NODES.objectNode()
				.put("id", "fc_" + hex())
				.put("type", "function_call")
				.put("status", "in_progress")
				.put("call_id", delta.path("id").asText("call_" + hex()))
				.put("name", delta.path("function").path("name").asText(""))
				.put("arguments", "");
			calls.put(index, call);
			arguments.put(index, new StringBuilder());
			open(call);
		}
		var piece = delta.path("function").path("arguments").asText("");
		if (!piece.isEmpty()) {
			arguments.get(index).append(piece);
			emit("response.function_call_arguments.delta", item(call).put("delta", piece));
		}
	}

	private void open(ObjectNode item) throws IOException {
		output.add(item);
		var added = event().put("output_index", output.size() - 1);
		added.set("item", item.deepCopy());
		emit("response.output_item.added", added);
	}

	/**
	 * Closes every item and returns the response: {@code completed}, or {@code incomplete} when
	 * the reply hit its token limit.
	 */
	ObjectNode finish() throws IOException {
		if (reasoning != null) {
			reasoning.putArray("content").addObject().put("type", "reasoning_text").put("text", thinking.toString());
			done(reasoning);
		}
		if (message != null) {
			var final_ = text.toString();
			var textDone = item(message).put("content_index", 0).put("text", final_);
			textDone.putArray("logprobs");
			emit("response.output_text.done", textDone);
			var partDone = item(message).put("content_index", 0);
			partDone.set("part", outputText(final_));
			emit("response.content_part.done", partDone);
			((ArrayNode) message.get("content")).add(outputText(final_));
			message.put("status", "completed");
			done(message);
		}
		for (var entry : calls.entrySet()) {
			var call = entry.getValue();
			var all = arguments.get(entry.getKey()).toString();
			call.put("arguments", all).put("status", "completed");
			emit("response.function_call_arguments.done", item(call).put("arguments", all).put("name", call.path("name").asText()));
			done(call);
		}
		var status = "length".equals(finishReason) ? "incomplete" : "completed";
		var response = response(status);
		var completed = event();
		completed.set("response", response);
		emit(status.equals("completed") ? "response.completed" : "response.incomplete", completed);
		return response;
	}

	private void done(ObjectNode item) throws IOException {
		if (item.has("status")) {
			item.put("status", "completed");
		}
		var done = event().put("output_index", output.indexOf(item));
		done.set("item", item);
		emit("response.output_item.done", done);
	}

	/** The output items as the input of a later request ({@code previous_response_id}). */
	List<ObjectNode> output() {
		return output;
	}

	private ObjectNode response(String status) {
		var response = NODES.objectNode()
			.put("id", id)
			.put("object", "response")
			.put("created_at", createdAt)
			.put("status", status)
			.put("model", model);
		response.putNull("error");
		if (status.equals("incomplete")) {
			response.putObject("incomplete_details").put("reason", "max_output_tokens");
		}
		else {
			response.putNull("incomplete_details");
		}
		response.set("instructions", request.path("instructions").isTextual() ? request.get("instructions") : NODES.nullNode());
		response.set("max_output_tokens", request.hasNonNull("max_output_tokens") ? request.get("max_output_tokens") : NODES.nullNode());
		var items = response.putArray("output");
		if (!status.equals("in_progress")) {
			output.forEach(items::add);
		}
		response.put("parallel_tool_calls", request.path("parallel_tool_calls").asBoolean(true));
		response.set("previous_response_id",
				request.path("previous_response_id").isTextual() ? request.get("previous_response_id") : NODES.nullNode());
		response.put("store", request.path("store").asBoolean(true));
		response.put("temperature", request.path("temperature").asDouble(1.0));
		response.put("top_p", request.path("top_p").asDouble(1.0));
		response.set("tool_choice", request.hasNonNull("tool_choice") ? request.get("tool_choice") : NODES.textNode("auto"));
		response.set("tools", request.path("tools").isArray() ? request.get("tools") : NODES.arrayNode());
		response.set("text", request.path("text").isObject() ? request.get("text")
				: NODES.objectNode().set("format", NODES.objectNode().put("type", "text")));
		response.put("truncation", "disabled");
		response.set("metadata", request.path("metadata").isObject() ? request.get("metadata") : NODES.objectNode());
		if (!status.equals("in_progress")) {
			response.set("usage", usage());
		}
		else {
			response.putNull("usage");
		}
		return response;
	}

	private ObjectNode usage() {
		var out = NODES.objectNode();
		int input = usage == null ? 0 : usage.path("prompt_tokens").asInt();
		int output = usage == null ? 0 : usage.path("completion_tokens").asInt();
		out.put("input_tokens", input);
		out.putObject("input_tokens_details")
			.put("cached_tokens", usage == null ? 0 : usage.path("prompt_tokens_details").path("cached_tokens").asInt());
		out.put("output_tokens", output);
		out.putObject("output_tokens_details")
			.put("reasoning_tokens", usage == null ? 0 : usage.path("completion_tokens_details").path("reasoning_tokens").asInt());
		out.put("total_tokens", input + output);
		return out;
	}

	/** Usage for a reply Familiar counted itself (the embedded engine reports it as a chat would). */
	void usage(int promptTokens, int completionTokens) {
		if (usage == null) {
			usage = NODES.objectNode().put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens);
		}
	}

	void finishReason(String reason) {
		if (finishReason == null) {
			finishReason = reason;
		}
	}

	private ObjectNode event() {
		return NODES.objectNode();
	}

	private ObjectNode item(ObjectNode item) {
		return event().put("item_id", item.path("id").asText()).put("output_index", output.indexOf(item));
	}

	private static ObjectNode outputText(String text) {
		var part = NODES.objectNode().put("type", "output_text").put("text", text);
		part.putArray("annotations");
		part.putArray("logprobs");
		return part;
	}

	private void emit(String type, ObjectNode event) throws IOException {
		if (events != null) {
			var typed = NODES.objectNode().put("type", type).put("sequence_number", sequence++);
			typed.setAll(event);
			events.send(type, typed);
		}
	}

	private static String hex() {
		return UUID.randomUUID().toString().replace("-", "");
	}
}
