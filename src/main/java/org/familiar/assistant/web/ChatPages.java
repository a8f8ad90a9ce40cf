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
import org.familiar.assistant.Attachment;
import org.familiar.assistant.internal.AttachmentReader;
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

	private final org.familiar.identity.IdentityManagement identity;

	private final org.familiar.plans.PlansManagement plans;

	ChatPages(AssistantManagement assistant, ComputeManagement compute, AssistantSettings settings, ObjectMapper json,
			MemoryManagement memory, org.familiar.identity.IdentityManagement identity, org.familiar.plans.PlansManagement plans) {
		this.plans = plans;
		this.identity = identity;
		this.memory = memory;
		this.assistant = assistant;
		this.compute = compute;
		this.settings = settings;
		this.json = json;
	}

	/**
	 * A message to send: new ({@code content}), an earlier one of the person's edited
	 * ({@code edit} and the new {@code content}) or another version of a reply ({@code regenerate});
	 * a new conversation may come with its system prompt and temperature.
	 */
	record Send(@Nullable UUID conversation, @Nullable String model, @Nullable String content, @Nullable UUID edit,
			@Nullable UUID regenerate, @Nullable String system, @Nullable Double temperature) {
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
		var thread = assistant.thread(me.caller(), id);
		model.addAttribute("conversation", conversation);
		model.addAttribute("thread", thread);
		model.addAttribute("notes", assistant.notes(me.caller(), thread.stream()
			.filter(m -> "user".equals(m.message().role())).map(m -> m.message().id()).toList()));
		model.addAttribute("memories", memory.byIds(me.caller(), thread.stream()
			.flatMap(m -> m.message().memoryIds().stream())
			.collect(java.util.stream.Collectors.toSet())));
		// Each reply's energy as the ledger has it (a reply's request id is "chat-" and its message id).
		var energy = plans.energy(me.caller().person(), thread.stream()
			.filter(m -> "assistant".equals(m.message().role()))
			.map(m -> "chat-" + m.message().id())
			.toList());
		var byMessage = new java.util.HashMap<UUID, org.familiar.plans.RequestEnergy>();
		energy.forEach((request, used) -> byMessage.put(UUID.fromString(request.substring("chat-".length())), used));
		model.addAttribute("energy", byMessage);
		model.addAttribute("conversationEnergy", byMessage.values().stream().reduce(org.familiar.plans.RequestEnergy::plus)
			.map(org.familiar.plans.RequestEnergy::label).orElse(null));
		return "assistant/chat";
	}

	/** Starts (or redoes) the onboarding interview in a new conversation. */
	@PostMapping("/chat/interview")
	String interview(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(required = false) @Nullable String model) {
		var chosen = model != null && !model.isBlank() ? model
				: defaultModel(me, compute.models().stream().filter(ModelInfo::chat).toList());
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

	/** The conversation list (htmx), those matching {@code q} in title or text when given. */
	@GetMapping("/chat/list")
	String list(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(defaultValue = "") String q,
			@RequestParam(required = false) @Nullable UUID current, Model model) {
		model.addAttribute("conversations", assistant.search(me.caller(), q));
		model.addAttribute("query", q.strip());
		model.addAttribute("currentId", current);
		return "assistant/chat :: conversations";
	}

	record Title(@Nullable String title) {
	}

	/** The person names a conversation. */
	@PostMapping(path = "/chat/{id}/rename", produces = "application/json")
	@ResponseBody
	Map<String, String> rename(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, @RequestBody Title title) {
		return Map.of("title", assistant.rename(me.caller(), id, title.title() == null ? "" : title.title()).title());
	}

	/** After a conversation's first reply: its model writes it a title, as batch work. */
	@PostMapping(path = "/chat/{id}/title", produces = "application/json")
	@ResponseBody
	Map<String, String> title(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return Map.of("title", assistant.generateTitle(me.caller(), id));
	}

	record ChatSettings(@Nullable String system, @Nullable Double temperature) {
	}

	/** A conversation's system prompt and temperature, for its next replies. */
	@PostMapping(path = "/chat/{id}/settings", produces = "application/json")
	@ResponseBody
	Map<String, @Nullable Object> configure(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id,
			@RequestBody ChatSettings settings) {
		var saved = assistant.configure(me.caller(), id, settings.system(), settings.temperature());
		var answer = new java.util.HashMap<String, @Nullable Object>();
		answer.put("system", saved.systemPrompt());
		answer.put("temperature", saved.temperature());
		return answer;
	}

	record Shown(int shown) {
	}

	/** The person pressed Stop having been shown {@code shown} code points of the reply: it keeps exactly those. */
	@PostMapping("/chat/messages/{id}/stop")
	ResponseEntity<Void> stop(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, @RequestBody Shown shown) {
		assistant.stop(me.caller(), id, shown.shown());
		return ResponseEntity.noContent().build();
	}

	/** Shows another version of a message (and what follows it). */
	@PostMapping("/chat/messages/{id}/select")
	ResponseEntity<Void> select(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		assistant.select(me.caller(), id);
		return ResponseEntity.noContent().build();
	}

	@PostMapping("/chat/{id}/delete")
	String delete(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		assistant.delete(me.caller(), id);
		return "redirect:/chat";
	}

	@PostMapping(path = "/chat/send", consumes = "application/json")
	@Nullable ResponseEntity<Map<String, String>> send(@AuthenticationPrincipal CallerPrincipal me,
			@RequestBody Send send, HttpServletRequest request, HttpServletResponse response) throws IOException {
		return send(me, send, List.of(), request, response);
	}

	/**
	 * A message with images or files: the message as JSON in the part {@code message}, the files in
	 * the parts {@code files}.
	 */
	@PostMapping(path = "/chat/send", consumes = "multipart/form-data")
	@Nullable ResponseEntity<Map<String, String>> sendWithFiles(@AuthenticationPrincipal CallerPrincipal me,
			@RequestParam("message") String message,
			@RequestParam(name = "files", required = false) java.util.@Nullable List<org.springframework.web.multipart.MultipartFile> files,
			HttpServletRequest request, HttpServletResponse response) throws IOException {
		Send send;
		try {
			send = json.readValue(message, Send.class);
		}
		catch (com.fasterxml.jackson.core.JacksonException ex) {
			return refuse(response, "The part 'message' is not the JSON of a message.");
		}
		var attachments = new java.util.ArrayList<Attachment>();
		try {
			for (var file : files == null ? List.<org.springframework.web.multipart.MultipartFile>of() : files) {
				attachments.add(AttachmentReader.read(file.getOriginalFilename(), file.getContentType(), file.getBytes()));
			}
		}
		catch (org.familiar.assistant.InvalidChatException ex) {
			return refuse(response, ex.getMessage());
		}
		return send(me, send, attachments, request, response);
	}

	/** A 400 with the reason as JSON, whatever the client accepts (it asked for a stream, which never began). */
	private @Nullable ResponseEntity<Map<String, String>> refuse(HttpServletResponse response, String message)
			throws IOException {
		response.setStatus(HttpStatus.BAD_REQUEST.value());
		response.setContentType("application/json");
		json.writeValue(response.getOutputStream(), Map.of("message", message));
		return null;
	}

	/** An image attached to one of the person's messages, to show in the conversation. */
	@GetMapping("/chat/attachments/{id}")
	ResponseEntity<byte[]> attachment(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		var attachment = assistant.attachment(me.caller(), id);
		if (!attachment.image()) {
			return ResponseEntity.notFound().build();
		}
		return ResponseEntity.ok()
			.contentType(org.springframework.http.MediaType.parseMediaType(attachment.mediaType()))
			.cacheControl(org.springframework.http.CacheControl.maxAge(java.time.Duration.ofDays(30)).cachePrivate())
			.header("Content-Disposition", "inline")
			.body(attachment.data());
	}

	private @Nullable ResponseEntity<Map<String, String>> send(CallerPrincipal me, Send send, List<Attachment> attachments,
			HttpServletRequest request, HttpServletResponse response) throws IOException {
		var text = send.content() == null ? "" : send.content().strip();
		if ((text.isEmpty() && send.regenerate() == null) || send.model() == null || send.model().isBlank()) {
			return refuse(response, "Write a message and pick a model.");
		}
		if ((send.edit() != null || send.regenerate() != null) && send.conversation() == null) {
			return refuse(response, "Say which conversation the message is in.");
		}
		var caller = me.caller();
		// Checked before the stream starts, so a bad request is a plain 400.
		boolean created = send.conversation() == null;
		var conversation = !created ? assistant.conversation(caller, send.conversation())
				: assistant.start(caller, send.model(), text, send.system(), send.temperature());
		var events = new Events(response);
		boolean admin = isAdmin(me);
		try {
			var reply = assistant.reply(caller, conversation.id(),
					new AssistantManagement.Turn(send.model(), text, send.edit(), send.regenerate(), attachments), new ReplySink() {
						@Override
						public void started(UUID reply) {
							try {
								events.send("conversation", Map.of("id", conversation.id().toString(), "title",
										conversation.title(), "titled", String.valueOf(conversation.titled())));
								events.send("reply", Map.of("id", reply.toString()));
							}
							catch (IOException gone) {
								// The reply itself will notice.
							}
						}

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
						public void noted(List<org.familiar.assistant.MessageNotes.Note> notes) {
							try {
								events.sendObject("notes", Map.of("notes", notes.stream()
									.map(n -> n.link() == null ? Map.of("text", n.text()) : Map.of("text", n.text(), "link", n.link()))
									.toList()));
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
			var message = ex instanceof org.familiar.assistant.InvalidChatException ? ex.getMessage() : failure(ex.getMessage(), admin);
			if (!events.started()) {
				// Refused before anything was saved: a new conversation is not left behind empty.
				if (created) {
					assistant.delete(caller, conversation.id());
				}
				return refuse(response, message);
			}
			events.sendQuietly("error", Map.of("message", message));
		}
		return null;
	}

	/**
	 * Why a reply failed, as the person may read it: administrators get the whole story (they can
	 * fix it), everyone else a plain sentence without configuration keys, paths or class names.
	 */
	static String failure(@Nullable String detail, boolean admin) {
		if (admin) {
			return detail == null ? "The reply failed." : detail;
		}
		return "The model could not answer just now. Try again in a while; if it keeps failing, tell your administrator.";
	}

	private static boolean isAdmin(CallerPrincipal me) {
		var authentication = org.springframework.security.core.context.SecurityContextHolder.getContext().getAuthentication();
		return authentication != null
				&& authentication.getAuthorities().stream().anyMatch(a -> "ROLE_ADMIN".equals(a.getAuthority()));
	}

	private static Map<String, String> brief(Memory memory) {
		return Map.of("id", memory.id().toString(), "content", memory.content(), "kind", memory.kind().id());
	}

	@ExceptionHandler(value = ConversationNotFoundException.class, produces = "text/html")
	@ResponseStatus(HttpStatus.NOT_FOUND)
	String notFound() {
		return "assistant/not-found";
	}

	@ExceptionHandler(value = ConversationNotFoundException.class, produces = "application/json")
	ResponseEntity<Map<String, String>> notFoundJson() {
		return ResponseEntity.status(HttpStatus.NOT_FOUND).body(Map.of("message", "No such conversation or message."));
	}

	@ExceptionHandler(org.familiar.assistant.InvalidChatException.class)
	ResponseEntity<Map<String, String>> invalid(org.familiar.assistant.InvalidChatException ex) {
		return ResponseEntity.badRequest().body(Map.of("message", ex.getMessage()));
	}

	private void page(CallerPrincipal me, Model model, @Nullable String current) {
		// Embedding models cannot chat: the picker offers only the models that can.
		var models = compute.models().stream().filter(ModelInfo::chat).toList();
		var conversations = assistant.conversations(me.caller());
		model.addAttribute("conversations", conversations);
		model.addAttribute("models", models);
		model.addAttribute("currentModel", current != null ? current : defaultModel(me, models));
		model.addAttribute("username", me.caller().username());
		model.addAttribute("admin", isAdmin(me));
		// Nothing to answer with: administrators are shown how to connect a model server.
		model.addAttribute("noModel", models.stream().noneMatch(ModelInfo::available));
		model.addAttribute("offerInterview", memory.profile(me.caller().person()).interviewedAt() == null
				&& conversations.isEmpty());
	}

	/** The person's own default model if it is offered, else the server's, else the first that answers. */
	private @Nullable String defaultModel(CallerPrincipal me, List<ModelInfo> models) {
		var chosen = identity.preferences(me.caller().person()).defaultModel();
		if (chosen != null && models.stream().anyMatch(m -> m.id().equals(chosen))) {
			return chosen;
		}
		return defaultModel(models);
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

		/** Whether anything was sent yet. */
		boolean started() {
			return out != null;
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
