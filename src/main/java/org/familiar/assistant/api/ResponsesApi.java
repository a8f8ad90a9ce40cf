package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.familiar.assistant.internal.ClientConnection;
import org.familiar.assistant.internal.StoredResponses;
import org.familiar.compute.BackendFailedException;
import org.familiar.compute.ChatResult;
import org.familiar.compute.FinishReason;
import org.familiar.compute.WireSink;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Responses API ({@code POST /v1/responses}, {@code GET} and {@code DELETE /v1/responses/{id}}),
 * which newer SDKs, the Agents SDK and Codex use: translated to a chat completion, so it works with
 * every backend (see {@link ResponsesTranslation}), run through the same admission as chat (memory,
 * the plan, the scheduler), and answered plain or as typed stream events. Responses are kept for
 * their owner (unless {@code store} is false), so {@code previous_response_id} carries a
 * conversation on.
 */
@RestController
@RequestMapping("/v1")
class ResponsesApi {

	private final ChatAdmission admission;

	private final StoredResponses stored;

	private final ObjectMapper json;

	ResponsesApi(ChatAdmission admission, StoredResponses stored, ObjectMapper json) {
		this.admission = admission;
		this.stored = stored;
		this.json = json;
	}

	@PostMapping(path = "/responses", consumes = MediaType.APPLICATION_JSON_VALUE)
	@Nullable ResponseEntity<?> create(@RequestBody byte[] raw, HttpServletRequest httpRequest, HttpServletResponse response)
			throws IOException {
		var caller = ChatAdmission.caller();
		if (!(ChatBody.parse(json, raw) instanceof ObjectNode request)) {
			throw new InvalidRequestException("The request body must be a JSON object.", null);
		}
		var model = ChatBody.model(request.get("model"));
		var items = ResponsesTranslation.items(request.get("input"));
		var conversation = json.createArrayNode();
		var previous = request.get("previous_response_id");
		if (previous != null && !previous.isNull()) {
			var earlier = previous.isTextual() ? stored.find(caller.person().value(), previous.textValue()) : java.util.Optional.<StoredResponses.Stored>empty();
			if (earlier.isEmpty()) {
				throw new InvalidRequestException("Previous response with id '" + previous.asText() + "' not found.",
						"previous_response_id");
			}
			conversation.addAll((ArrayNode) json.readTree(earlier.get().items()));
		}
		conversation.addAll(items);
		var body = ChatBody.of(ResponsesTranslation.chat(request, conversation));
		var id = org.familiar.compute.RequestIds.next("resp_");
		var admitted = admission.admit(caller, body, id, !"off".equalsIgnoreCase(httpRequest.getHeader(ChatCompletionsApi.MEMORY_SWITCH)));
		response.setHeader(ChatCompletionsApi.MEMORIES_HEADER, String.join(",", admitted.recall().usedIds()));
		var events = body.stream ? new EventStream(response) : null;
		var output = new ResponseOutput(id, model, request, events);
		var sink = new Relay(output, events, httpRequest);
		ChatResult result;
		try {
			result = admission.run(admitted, sink);
		}
		catch (BackendFailedException ex) {
			if (events == null || !events.open) {
				throw ex;
			}
			events.fail(ex);
			return null;
		}
		if (result.finishReason() == FinishReason.CANCELLED) {
			return null;
		}
		if (result.wire() != null) {
			output.whole(json.readTree(result.wire()));
		}
		else if (!sink.relayed && !result.text().isEmpty() && events == null) {
			output.text(result.text());
		}
		output.usage(result.usage().promptTokens(), result.usage().completionTokens());
		output.finishReason(result.finishReason().wire());
		if (events != null) {
			events.ensureOpen(output);
		}
		var finished = output.finish();
		if (request.path("store").asBoolean(true)) {
			var all = conversation.deepCopy();
			output.output().forEach(all::add);
			stored.save(caller.person().value(), new StoredResponses.Stored(id, model, json.writeValueAsString(all),
					json.writeValueAsString(finished), Instant.now()));
		}
		if (events != null) {
			events.close();
			return null;
		}
		return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(finished);
	}

	@GetMapping("/responses/{id}")
	ResponseEntity<?> get(@PathVariable String id) throws IOException {
		var caller = ChatAdmission.caller();
		var found = stored.find(caller.person().value(), id).orElseThrow(() -> new ResponseNotFoundException(id));
		return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(json.readTree(found.response()));
	}

	@DeleteMapping("/responses/{id}")
	ResponseEntity<?> delete(@PathVariable String id) {
		var caller = ChatAdmission.caller();
		if (!stored.delete(caller.person().value(), id)) {
			throw new ResponseNotFoundException(id);
		}
		return ResponseEntity.ok(json.createObjectNode().put("id", id).put("object", "response.deleted").put("deleted", true));
	}

	/** No response with that id belongs to the caller: 404. */
	static final class ResponseNotFoundException extends RuntimeException {

		ResponseNotFoundException(String id) {
			super("Response with id '" + id + "' not found.");
		}
	}

	/** Takes the backend's chat chunks (or the embedded engine's text) and turns them into the response. */
	private final class Relay implements WireSink {

		private final ResponseOutput output;

		private final @Nullable EventStream events;

		private final HttpServletRequest request;

		boolean relayed;

		Relay(ResponseOutput output, @Nullable EventStream events, HttpServletRequest request) {
			this.output = output;
			this.events = events;
			this.request = request;
		}

		@Override
		public void chunk(byte[] chunk) throws IOException {
			relayed = true;
			if (events != null) {
				events.ensureOpen(output);
			}
			output.chunk(json.readTree(chunk));
		}

		@Override
		public void accept(String text) throws IOException {
			if (events != null) {
				relayed = true;
				events.ensureOpen(output);
				output.text(text);
			}
		}

		@Override
		public boolean callerGone() {
			return ClientConnection.closed(request);
		}

		@Override
		public boolean silentUntilDone() {
			return events == null;
		}
	}

	/** Server-sent events with their type named ({@code event: response.output_text.delta}). */
	private final class EventStream implements ResponseOutput.Events {

		private final HttpServletResponse response;

		private @Nullable OutputStream out;

		boolean open;

		EventStream(HttpServletResponse response) {
			this.response = response;
		}

		/** Commits the response and announces it, at the first piece of the reply. */
		void ensureOpen(ResponseOutput output) throws IOException {
			if (open) {
				return;
			}
			response.setStatus(200);
			response.setContentType("text/event-stream;charset=UTF-8");
			response.setHeader("Cache-Control", "no-cache");
			response.setHeader("X-Accel-Buffering", "no");
			out = response.getOutputStream();
			open = true;
			output.start();
		}

		@Override
		public void send(String type, ObjectNode event) throws IOException {
			var stream = out;
			if (stream == null) {
				return;
			}
			stream.write(("event: " + type + "\ndata: ").getBytes(StandardCharsets.UTF_8));
			stream.write(json.writeValueAsBytes(event));
			stream.write("\n\n".getBytes(StandardCharsets.US_ASCII));
			stream.flush();
		}

		void fail(BackendFailedException ex) {
			try {
				var error = json.createObjectNode().put("type", "error").put("code", "backend_error").put("message", ex.getMessage());
				error.putNull("param");
				send("error", error);
			}
			catch (IOException gone) {
				// The client has gone as well; the failure is already recorded by compute.
			}
		}

		void close() throws IOException {
			if (out != null) {
				out.flush();
			}
		}
	}
}
