package org.familiar.assistant.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.familiar.assistant.AssistantManagement;
import org.familiar.assistant.AssistantSettings;
import org.familiar.assistant.ConversationNotFoundException;
import org.familiar.assistant.ReplySink;
import java.util.List;
import org.familiar.memory.Memory;
import org.familiar.memory.MemoryManagement;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseBody;
import org.familiar.compute.ComputeManagement;
import org.familiar.assistant.internal.ClientConnection;
import org.familiar.compute.ModelInfo;
import org.familiar.compute.TokenSink;
import org.familiar.identity.CallerPrincipal;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.ResponseStatus;

/**
 * The web chat: the page, the conversation list (an htmx fragment) and sending a message, whose
 * reply streams back as server-sent events on the request's own virtual thread.
 */
@Controller
class ChatPages {

	private final AssistantManagement assistant;

	private final ComputeManagement compute;

	private final AssistantSettings settings;

	private final ObjectMapper json;

	private final MemoryManagement memory;

	ChatPages(AssistantManagement assistant, ComputeManagement compute, AssistantSettings settings, ObjectMapper json,
			MemoryManagement memory) {
		this.memory = memory;
		this.assistant = assistant;
		this.compute = compute;
		this.settings = settings;
		this.json = json;
	}

	record Send(@Nullable UUID conversation, @Nullable String model, @Nullable String content) {
	}

	@GetMapping("/")
	String home() {
		return "redirect:/chat";
	}

	@GetMapping("/chat")
	String chat(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		page(me, model, null);
		return "assistant/chat";
	}

	@GetMapping("/chat/{id}")
	String conversation(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, Model model) {
		var conversation = assistant.conversation(me.caller(), id);
		page(me, model, conversation.model());
		var messages = assistant.messages(me.caller(), id);
		model.addAttribute("conversation", conversation);
		model.addAttribute("messages", messages);
		model.addAttribute("memories", memory.byIds(me.caller(),
				messages.stream().flatMap(m -> m.memoryIds().stream()).collect(java.util.stream.Collectors.toSet())));
		return "assistant/chat";
	}

	/** Starts (or redoes) the onboarding interview in a new conversation. */
	@PostMapping("/chat/interview")
	String interview(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(required = false) @Nullable String model) {
		var chosen = model != null && !model.isBlank() ? model
				: defaultModel(compute.models().stream().filter(ModelInfo::chat).toList());
		var conversation = assistant.startInterview(me.caller(), chosen == null ? "none" : chosen);
		return "redirect:/chat/" + conversation.id();
	}

	record Rating(int rating, @Nullable String reason) {
	}

	/** Thumbs up or down on a reply, with an optional reason that becomes a preference memory. */
	@PostMapping("/chat/messages/{id}/feedback")
	@ResponseBody
	Map<String, @Nullable String> feedback(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id,
			@RequestBody Rating rating) {
		var remembered = assistant.rate(me.caller(), id, rating.rating(), rating.reason());
		var answer = new java.util.HashMap<String, @Nullable String>();
		answer.put("memory", remembered == null ? null : remembered.memory().content());
		return answer;
	}

	@GetMapping("/chat/list")
	String list(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		model.addAttribute("conversations", assistant.conversations(me.caller()));
		return "assistant/chat :: conversations";
	}

	@PostMapping("/chat/{id}/delete")
	String delete(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		assistant.delete(me.caller(), id);
		return "redirect:/chat";
	}

	@PostMapping("/chat/send")
	@Nullable ResponseEntity<Map<String, String>> send(@AuthenticationPrincipal CallerPrincipal me,
			@RequestBody Send send, HttpServletRequest request, HttpServletResponse response) throws IOException {
		var text = send.content() == null ? "" : send.content().strip();
		if (text.isEmpty() || send.model() == null || send.model().isBlank()) {
			return ResponseEntity.badRequest().body(Map.of("message", "Write a message and pick a model."));
		}
		var caller = me.caller();
		var events = new Events(response);
		try {
			var conversation = send.conversation() != null ? assistant.conversation(caller, send.conversation())
					: assistant.start(caller, send.model(), text);
			events.send("conversation", Map.of("id", conversation.id().toString(), "title", conversation.title()));
			var reply = assistant.reply(caller, conversation.id(), send.model(), text, new ReplySink() {
				@Override
				public void recalled(List<Memory> used, @Nullable Memory remembered) {
					try {
						events.sendObject("memories", Map.of("used", used.stream().map(ChatPages::brief).toList(),
								"remembered", remembered == null ? List.of() : List.of(brief(remembered))));
					}
					catch (IOException gone) {
						// The reply itself will notice.
					}
				}

				@Override
				public void accept(String piece) throws IOException {
					events.send("token", Map.of("t", piece));
				}

				@Override
				public boolean callerGone() {
					return ClientConnection.closed(request);
				}
			});
			events.sendQuietly("done", Map.of("status", reply.status(), "id", reply.id().toString()));
		}
		catch (ConversationNotFoundException ex) {
			throw ex;
		}
		catch (RuntimeException ex) {
			events.sendQuietly("error", Map.of("message", ex.getMessage() == null ? "The reply failed." : ex.getMessage()));
		}
		return null;
	}

	private static Map<String, String> brief(Memory memory) {
		return Map.of("id", memory.id().toString(), "content", memory.content(), "kind", memory.kind().id());
	}

	@ExceptionHandler(ConversationNotFoundException.class)
	@ResponseStatus(HttpStatus.NOT_FOUND)
	String notFound() {
		return "assistant/not-found";
	}

	private void page(CallerPrincipal me, Model model, @Nullable String current) {
		// Embedding models cannot chat: the picker offers only the models that can.
		var models = compute.models().stream().filter(ModelInfo::chat).toList();
		model.addAttribute("conversations", assistant.conversations(me.caller()));
		model.addAttribute("models", models);
		model.addAttribute("currentModel", current != null ? current : defaultModel(models));
		model.addAttribute("username", me.caller().username());
		model.addAttribute("offerInterview", memory.profile(me.caller().person()).interviewedAt() == null
				&& assistant.conversations(me.caller()).isEmpty());
	}

	private @Nullable String defaultModel(java.util.List<ModelInfo> models) {
		if (settings.defaultModel() != null) {
			return settings.defaultModel();
		}
		return models.stream()
			.filter(ModelInfo::available)
			.filter(m -> !"embedded".equals(m.backend()))
			.findFirst()
			.or(() -> models.stream().findFirst())
			.map(ModelInfo::id)
			.orElse(null);
	}

	/** Named server-sent events, flushed one by one. */
	private final class Events {

		private final HttpServletResponse response;

		private @Nullable OutputStream out;

		Events(HttpServletResponse response) {
			this.response = response;
		}

		/** For the last event: the client may have gone (it pressed stop), which is fine. */
		void sendQuietly(String event, Map<String, String> data) {
			try {
				send(event, data);
			}
			catch (IOException gone) {
				// nothing to tell anyone
			}
		}

		void send(String event, Map<String, String> data) throws IOException {
			sendObject(event, data);
		}

		void sendObject(String event, Object data) throws IOException {
			if (out == null) {
				response.setContentType("text/event-stream;charset=UTF-8");
				response.setHeader("Cache-Control", "no-cache");
				response.setHeader("X-Accel-Buffering", "no");
				out = response.getOutputStream();
			}
			out.write(("event: " + event + "\ndata: ").getBytes(StandardCharsets.UTF_8));
			out.write(json.writeValueAsBytes(data));
			out.write("\n\n".getBytes(StandardCharsets.UTF_8));
			out.flush();
		}
	}
}
