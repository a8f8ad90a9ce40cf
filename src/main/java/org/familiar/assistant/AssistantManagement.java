package org.familiar.assistant;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.familiar.compute.BackendException;
import org.familiar.compute.BackendFailedException;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ChatResult;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.FinishReason;
import org.familiar.compute.TokenSink;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.PersonId;
import org.familiar.identity.PersonalData;
import org.familiar.memory.Interview;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.Recall;
import org.familiar.memory.Remembered;
import org.familiar.plans.PlansManagement;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

/**
 * The assistant module's entry point: conversations in the web app and replying in them.
 *
 * <p>A reply is saved before it starts (status {@code streaming}) and settled when it ends, so a
 * reply that is stopped, or whose backend fails mid-way, is kept with what was generated and
 * marked; nothing the person wrote is lost. Each reply records the memories that shaped it, and a
 * finished exchange is handed to memory to learn from.
 */
@Service
public class AssistantManagement implements PersonalData {

	private static final int TITLE_LENGTH = 60;

	/** The model name recorded on the interview's own questions, which no model writes. */
	static final String INTERVIEWER = "familiar";

	private final Conversations conversations;

	private final ComputeManagement compute;

	private final PlansManagement plans;

	private final MemoryManagement memory;

	private final Clock clock;

	private final org.familiar.assistant.internal.StoredResponses responses;

	private final org.springframework.beans.factory.ObjectProvider<MessageNotes> notes;

	AssistantManagement(Conversations conversations, ComputeManagement compute, PlansManagement plans,
			MemoryManagement memory, Clock clock, org.familiar.assistant.internal.StoredResponses responses,
			org.springframework.beans.factory.ObjectProvider<MessageNotes> notes) {
		this.notes = notes;
		this.responses = responses;
		this.plans = plans;
		this.conversations = conversations;
		this.compute = compute;
		this.memory = memory;
		this.clock = clock;
	}

	public List<Conversation> conversations(Caller caller) {
		return conversations.of(caller.person().value());
	}

	/** @throws ConversationNotFoundException unless the caller owns it */
	public Conversation conversation(Caller caller, UUID id) {
		return conversations.find(caller.person().value(), id).orElseThrow(ConversationNotFoundException::new);
	}

	/**
	 * The conversation's messages as it shows them: at each place the active version.
	 * @throws ConversationNotFoundException unless the caller owns it
	 */
	public List<StoredMessage> messages(Caller caller, UUID id) {
		return thread(caller, id).stream().map(ThreadMessage::message).toList();
	}

	/**
	 * As {@link #messages}, with where each message stands among its versions.
	 * @throws ConversationNotFoundException unless the caller owns it
	 */
	public List<ThreadMessage> thread(Caller caller, UUID id) {
		var thread = Conversations.thread(conversations.messages(conversation(caller, id).id()));
		var attached = conversations.attachmentsOf(id);
		return attached.isEmpty() ? thread
				: thread.stream().map(t -> t.with(attached.getOrDefault(t.message().id(), List.of()))).toList();
	}

	/**
	 * One of the person's attachments, with its content (to show an image).
	 * @throws ConversationNotFoundException unless the caller owns it
	 */
	public Attachment attachment(Caller caller, UUID id) {
		return conversations.attachment(caller.person().value(), id).orElseThrow(ConversationNotFoundException::new);
	}

	/** The person's conversations whose title or text contains {@code text}; all of them for blank text. */
	public List<Conversation> search(Caller caller, String text) {
		var query = text.strip();
		if (query.length() > 200) {
			query = query.substring(0, 200);
		}
		return query.isEmpty() ? conversations(caller) : conversations.search(caller.person().value(), query);
	}

	/**
	 * The person names a conversation; a generated title then no longer replaces it.
	 * @throws InvalidChatException if the title is blank or too long
	 * @throws ConversationNotFoundException unless the caller owns it
	 */
	public Conversation rename(Caller caller, UUID id, String title) {
		var clean = title.strip().replaceAll("\\s+", " ");
		if (clean.isEmpty() || clean.length() > Conversation.TITLE_LENGTH) {
			throw new InvalidChatException("A title has 1 to " + Conversation.TITLE_LENGTH + " characters.");
		}
		if (!conversations.title(caller.person().value(), id, clean, false)) {
			throw new ConversationNotFoundException();
		}
		return conversation(caller, id);
	}

	/**
	 * Sets the conversation's system prompt and temperature (either may be none) for its next replies.
	 * @throws InvalidChatException if the prompt is too long or the temperature outside 0 to 2
	 * @throws ConversationNotFoundException unless the caller owns it
	 */
	public Conversation configure(Caller caller, UUID id, @Nullable String systemPrompt, @Nullable Double temperature) {
		var prompt = checkedPrompt(systemPrompt);
		checkTemperature(temperature);
		if (!conversations.configure(caller.person().value(), id, prompt, temperature)) {
			throw new ConversationNotFoundException();
		}
		return conversation(caller, id);
	}

	private static @Nullable String checkedPrompt(@Nullable String systemPrompt) {
		var prompt = systemPrompt == null || systemPrompt.isBlank() ? null : systemPrompt.strip();
		if (prompt != null && prompt.length() > Conversation.SYSTEM_PROMPT_LENGTH) {
			throw new InvalidChatException("A system prompt has at most " + Conversation.SYSTEM_PROMPT_LENGTH + " characters.");
		}
		return prompt;
	}

	private static void checkTemperature(@Nullable Double temperature) {
		if (temperature != null && (temperature.isNaN() || temperature < 0 || temperature > 2)) {
			throw new InvalidChatException("A temperature is a number from 0 to 2.");
		}
	}

	/**
	 * Shows another version of a message (a regenerated reply, an edited message) and what follows it.
	 * @throws ConversationNotFoundException unless the caller owns the message
	 */
	public void select(Caller caller, UUID message) {
		var found = conversations.messageOf(caller.person().value(), message).orElseThrow(ConversationNotFoundException::new);
		conversations.activate(found.conversation(), found.message().parentId(), found.message().id());
	}

	/**
	 * The person stopped a reply after being shown {@code shownChars} code points of it: the reply
	 * keeps exactly that, whenever the server notices the stop.
	 * @throws ConversationNotFoundException unless the caller owns the reply
	 */
	public void stop(Caller caller, UUID reply, int shownChars) {
		if (shownChars < 0) {
			throw new InvalidChatException("'shown' is how many characters were shown: 0 or more.");
		}
		if (!conversations.stop(caller.person().value(), reply, shownChars)) {
			throw new ConversationNotFoundException();
		}
	}

	public boolean delete(Caller caller, UUID id) {
		return conversations.delete(caller.person().value(), id);
	}

	/**
	 * Starts a conversation with its first message as its title.
	 * @throws org.familiar.compute.ModelNotFoundException if the model does not exist
	 */
	public Conversation start(Caller caller, String model, String firstMessage) {
		return start(caller, model, firstMessage, null, null);
	}

	/**
	 * Starts a conversation with its first message as its (provisional) title, a system prompt and
	 * a temperature.
	 * @throws org.familiar.compute.ModelNotFoundException if the model does not exist
	 * @throws InvalidChatException if the prompt or temperature is not valid
	 */
	public Conversation start(Caller caller, String model, String firstMessage, @Nullable String systemPrompt,
			@Nullable Double temperature) {
		compute.requireModel(model);
		var prompt = checkedPrompt(systemPrompt);
		checkTemperature(temperature);
		var title = firstMessage.strip().replaceAll("\\s+", " ");
		if (title.length() > TITLE_LENGTH) {
			title = title.substring(0, TITLE_LENGTH - 1) + "…";
		}
		var now = clock.instant();
		var conversation = new Conversation(UUID.randomUUID(), caller.person().value(), title.isEmpty() ? "New chat" : title,
				model, now, now, Conversation.CHAT, prompt, temperature, false);
		conversations.add(conversation);
		return conversation;
	}

	/**
	 * Gives a conversation a short title written by its model, as {@code batch} work on the person's
	 * plan, unless the person named it already. When no model can write one, the provisional title
	 * (the start of the first message) stays.
	 * @return the conversation's title
	 * @throws ConversationNotFoundException unless the caller owns it
	 */
	public String generateTitle(Caller caller, UUID id) {
		var conversation = conversation(caller, id);
		var thread = messages(caller, id);
		if (conversation.titled() || thread.size() < 2 || !Conversation.CHAT.equals(conversation.kind())) {
			return conversation.title();
		}
		if (!compute.energyWindow(WorkloadClass.BATCH, clock.instant()).start()) {
			// A title is batch work: where it waits for clean hours, it is written then, and the page shows the first line till then.
			var submitted = clock.instant();
			Thread.ofVirtual().name("title-" + id).start(() -> {
				if (compute.awaitEnergyWindow(WorkloadClass.BATCH, submitted, "conversation title", () -> false)) {
					writeTitle(caller, id);
				}
			});
			return conversation.title();
		}
		return writeTitle(caller, id);
	}

	private String writeTitle(Caller caller, UUID id) {
		var conversation = conversation(caller, id);
		var thread = messages(caller, id);
		if (conversation.titled() || thread.size() < 2) {
			return conversation.title();
		}
		var exchange = "Person: " + clip(thread.get(0).content(), 1500) + "\nAssistant: " + clip(thread.get(1).content(), 1500);
		var request = new ChatRequest("title-" + UUID.randomUUID(), caller.person().toString(), WorkloadClass.BATCH,
				conversation.model(), List.of(ChatMessage.system(TITLE_INSTRUCTION), ChatMessage.user(exchange)), 24, 0.2, null,
				List.of());
		try {
			var written = cleanTitle(plans.run(caller.as(WorkloadClass.BATCH), request, piece -> {
			}).text());
			if (!written.isEmpty() && conversations.title(caller.person().value(), id, written, true)) {
				return written;
			}
		}
		catch (RuntimeException noModel) {
			log.info("No title for conversation {}: {}", id, noModel.getMessage());
		}
		return conversation(caller, id).title();
	}

	static final String TITLE_INSTRUCTION = "Write a title of at most six words for the conversation you are shown. "
			+ "Answer with the title alone: no quotes, no full stop.";

	private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AssistantManagement.class);

	/** A model's title on one line, without quotes or a trailing full stop, at most 60 characters. */
	static String cleanTitle(String written) {
		var line = written.strip().lines().filter(l -> !l.isBlank()).findFirst().orElse("").strip();
		line = line.replaceFirst("(?i)^title:\\s*", "").replaceAll("^[\"'“”*#\\s]+|[\"'“”*\\s]+$", "");
		if (line.endsWith(".")) {
			line = line.substring(0, line.length() - 1);
		}
		return line.length() > TITLE_LENGTH ? line.substring(0, TITLE_LENGTH - 1) + "…" : line;
	}

	private static String clip(String text, int length) {
		return text.length() <= length ? text : text.substring(0, length) + "…";
	}

	/**
	 * Starts the onboarding interview: a conversation whose first replies are Familiar's questions,
	 * each answer becoming a memory; after the last it goes on as a normal chat with {@code model}.
	 */
	public Conversation startInterview(Caller caller, String model) {
		var conversation = add(caller, "Getting to know you", model, Conversation.INTERVIEW);
		conversations.append(conversation.id(), null, "assistant", Interview.QUESTIONS.getFirst().text(),
				StoredMessage.COMPLETE, INTERVIEWER, clock.instant());
		return conversation;
	}

	/**
	 * Adds the person's message and streams the reply into {@code sink}, saving it as it ends.
	 * @return the saved reply
	 * @throws BackendException if the backend failed; the partial reply is saved as failed first
	 */
	public StoredMessage reply(Caller caller, UUID conversationId, String model, String text, TokenSink sink) {
		return reply(caller, conversationId, model, text, sink instanceof ReplySink replySink ? replySink : ReplySink.of(sink));
	}

	/** As {@link #reply(Caller, UUID, String, String, TokenSink)}, telling {@code sink} which memories were used. */
	public StoredMessage reply(Caller caller, UUID conversationId, String model, String text, ReplySink sink) {
		return reply(caller, conversationId, new Turn(model, text, null, null), sink);
	}

	/**
	 * What the person asks for in a conversation: a new message ({@code text}), an earlier message
	 * of theirs edited and sent again ({@code edit}: its id, and the new {@code text}), or another
	 * version of a reply ({@code regenerate}: its id). Edited and regenerated messages keep their
	 * earlier versions, to flip back to.
	 */
	public record Turn(String model, @Nullable String text, @Nullable UUID edit, @Nullable UUID regenerate,
			List<Attachment> attachments) {

		public Turn {
			attachments = List.copyOf(attachments);
		}

		public Turn(String model, @Nullable String text, @Nullable UUID edit, @Nullable UUID regenerate) {
			this(model, text, edit, regenerate, List.of());
		}
	}

	/** What the modules that act on messages understood from this one (a reminder set), never failing the turn. */
	private List<MessageNotes.Note> read(Caller caller, UUID message, String text) {
		var all = new ArrayList<MessageNotes.Note>();
		notes.orderedStream().forEach(reader -> {
			try {
				all.addAll(reader.read(caller, message, text));
			}
			catch (RuntimeException ex) {
				log.warn("Could not act on message {}: {}", message, ex.getMessage());
			}
		});
		return all;
	}

	/** The notes made on these messages when they were sent, by message. */
	public java.util.Map<UUID, List<MessageNotes.Note>> notes(Caller caller, java.util.Collection<UUID> messages) {
		var all = new java.util.HashMap<UUID, List<MessageNotes.Note>>();
		notes.orderedStream().forEach(reader -> reader.notes(caller, messages)
			.forEach((id, found) -> all.merge(id, found, (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).toList())));
		return all;
	}

	/**
	 * Runs a turn and streams the reply into {@code sink}, saving it as it ends.
	 * @return the saved reply
	 * @throws InvalidChatException if the turn is not valid (no text, an unknown message to edit)
	 * @throws BackendException if the backend failed; the partial reply is saved as failed first
	 */
	public StoredMessage reply(Caller caller, UUID conversationId, Turn turn, ReplySink sink) {
		var conversation = conversation(caller, conversationId);
		var ref = "conversation:" + conversation.id();
		var thread = messages(caller, conversation.id());
		boolean inInterview = Conversation.INTERVIEW.equals(conversation.kind())
				&& thread.stream().filter(m -> "user".equals(m.role())).count() < Interview.QUESTIONS.size();
		if (inInterview && (turn.edit() != null || turn.regenerate() != null || !turn.attachments().isEmpty())) {
			throw new InvalidChatException("Interview answers become memories: change them on the Memory page.");
		}
		var text = turn.text() == null ? "" : turn.text().strip();
		if (turn.regenerate() == null && text.isEmpty()) {
			throw new InvalidChatException("Write a message.");
		}
		if (turn.attachments().size() > org.familiar.assistant.internal.AttachmentReader.MAX_ATTACHMENTS) {
			throw new InvalidChatException("A message takes at most "
					+ org.familiar.assistant.internal.AttachmentReader.MAX_ATTACHMENTS + " images and files.");
		}
		if (inInterview) {
			int step = (int) thread.stream().filter(m -> "user".equals(m.role())).count();
			return interview(caller, conversation, step, thread.isEmpty() ? null : thread.getLast().id(), text, sink);
		}
		compute.requireModel(turn.model());
		var model = turn.model();
		var now = clock.instant();
		// Which user message the reply answers, what came before it, and what is attached to them.
		List<StoredMessage> before;
		@Nullable StoredMessage replaced = null;
		@Nullable UUID asked = null;
		if (turn.regenerate() != null) {
			int at = indexOf(thread, turn.regenerate(), "assistant");
			var question = at > 0 ? thread.get(at - 1) : null;
			if (question == null || !"user".equals(question.role())) {
				throw new InvalidChatException("Only a reply to one of your messages can be written again.");
			}
			before = thread.subList(0, at - 1);
			asked = question.id();
			replaced = question;
			text = question.content();
		}
		else if (turn.edit() != null) {
			int at = indexOf(thread, turn.edit(), "user");
			before = thread.subList(0, at);
			replaced = thread.get(at);
		}
		else {
			before = thread;
		}
		var ids = new ArrayList<UUID>(before.stream().map(StoredMessage::id).toList());
		if (replaced != null) {
			ids.add(replaced.id());
		}
		var attached = conversations.attachments(ids);
		// An edited message keeps its attachments unless it comes with new ones.
		var attachments = !turn.attachments().isEmpty() || replaced == null ? turn.attachments()
				: attached.getOrDefault(replaced.id(), List.of());
		var prompt = new Prompt();
		if (conversation.systemPrompt() != null) {
			prompt.add("system", conversation.systemPrompt(), List.of());
		}
		for (var message : before) {
			if (!message.content().isEmpty()) {
				prompt.add(message.role(), message.content(), attached.getOrDefault(message.id(), List.of()));
			}
		}
		prompt.add("user", text, attachments);
		if (!turn.attachments().isEmpty()) {
			checkFits(prompt, model);
		}
		// Checked before anything is saved: a model that cannot read images says so.
		var probe = prompt.request("chat-check", caller, model, conversation.temperature(), Recall.NONE, false);
		try {
			compute.check(probe);
		}
		catch (org.familiar.compute.UnsupportedFieldException ex) {
			throw new InvalidChatException(prompt.images() > 0 ? "The model '" + model + "' cannot read images. Pick a model "
					+ "that can (one served by a model server with a vision model), or send the message without them."
					: ex.getMessage());
		}
		if (turn.regenerate() == null) {
			var parent = replaced != null ? replaced.parentId() : thread.isEmpty() ? null : thread.getLast().id();
			asked = conversations.append(conversation.id(), parent, "user", text, StoredMessage.COMPLETE, null, now).id();
			conversations.attach(asked, attachments.stream().map(a -> turn.attachments().isEmpty()
					? new Attachment(UUID.randomUUID(), a.name(), a.mediaType(), a.size(), a.data(), a.text()) : a).toList());
		}
		conversations.touch(conversation.id(), model, now);
		var reply = conversations.append(conversation.id(), asked, "assistant", "", StoredMessage.STREAMING, model, now);
		sink.started(reply.id());
		Remembered remembered = turn.regenerate() == null ? memory.rememberIfAsked(caller, text, ref) : null;
		var recall = memory.recall(caller, prompt.messages());
		if (!recall.used().isEmpty()) {
			conversations.recordMemories(reply.id(), recall.usedIds());
		}
		sink.recalled(recall.used(), remembered == null ? null : remembered.memory());
		if (turn.regenerate() == null) {
			var understood = read(caller, asked, text);
			if (!understood.isEmpty()) {
				sink.noted(understood);
			}
		}
		var request = prompt.request("chat-" + reply.id(), caller, model, conversation.temperature(), recall, true);
		try {
			ChatResult result = plans.run(caller, request, sink);
			var status = result.finishReason() == FinishReason.CANCELLED ? StoredMessage.STOPPED : StoredMessage.COMPLETE;
			conversations.settle(reply.id(), result.text(), status, null);
			memory.used(caller, recall);
			if (status.equals(StoredMessage.COMPLETE)) {
				memory.learnFrom(caller, model, ref, text, result.text());
			}
			return withContent(reply, result.text(), status, null, recall.usedIds());
		}
		catch (BackendFailedException ex) {
			conversations.settle(reply.id(), ex.partial().text(), StoredMessage.FAILED, ex.getMessage());
			throw ex;
		}
		catch (RuntimeException ex) {
			conversations.settle(reply.id(), "", StoredMessage.FAILED, ex.getMessage());
			throw ex;
		}
	}

	/** Room kept for the reply when files are sized against a model's context. */
	static final int REPLY_ROOM = 1024;

	/** Refuses files that, with the conversation so far, are more than the model reads at once. */
	private void checkFits(Prompt prompt, String model) {
		long context = compute.contextLength(model);
		long tokens = prompt.tokens();
		if (context > 0 && tokens + REPLY_ROOM > context) {
			throw new InvalidChatException(String.format(java.util.Locale.ROOT,
					"That is about %,d tokens with the conversation so far, and '%s' reads about %,d at once (%,d kept for "
							+ "its reply). Attach a shorter file or a part of it, or start a new chat.",
					tokens, model, context, REPLY_ROOM));
		}
	}

	/**
	 * What goes to the model: each message's text with its files' text after it, and its images;
	 * as plain text messages, and, when there are images, as an OpenAI body with image parts.
	 */
	private final class Prompt {

		private record Entry(String role, String text, List<Attachment> images) {
		}

		private final List<Entry> entries = new ArrayList<>();

		void add(String role, String text, List<Attachment> attachments) {
			var full = new StringBuilder(text);
			var images = new ArrayList<Attachment>();
			for (var attachment : attachments) {
				if (attachment.image()) {
					images.add(attachment);
				}
				else {
					full.append("\n\n[Attached file: ").append(attachment.name()).append("]\n").append(attachment.text());
				}
			}
			entries.add(new Entry(role, full.toString(), images));
		}

		int images() {
			return entries.stream().mapToInt(e -> e.images().size()).sum();
		}

		long tokens() {
			return entries.stream()
				.mapToLong(e -> org.familiar.assistant.internal.AttachmentReader.tokens(e.text()) + 3
						+ (long) e.images().size() * org.familiar.compute.PassThrough.MEDIA_TOKENS)
				.sum();
		}

		List<ChatMessage> messages() {
			return entries.stream().map(e -> new ChatMessage(switch (e.role()) {
				case "system" -> ChatMessage.Role.SYSTEM;
				case "assistant" -> ChatMessage.Role.ASSISTANT;
				default -> ChatMessage.Role.USER;
			}, e.text())).toList();
		}

		/** @param withImages whether the image parts carry their bytes (a capability check needs only their kind) */
		ChatRequest request(String id, Caller caller, String model, @Nullable Double temperature, Recall recall,
				boolean withImages) {
			var messages = recall.prependTo(messages());
			var request = new ChatRequest(id, caller.person().toString(), caller.workload(), model, messages, null, temperature,
					null, List.of());
			if (images() == 0) {
				return request;
			}
			// Images travel as OpenAI image parts, in a body the backend relays as it is.
			var body = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
			body.put("model", model);
			body.put("stream", true);
			if (temperature != null) {
				body.put("temperature", temperature);
			}
			var list = body.putArray("messages");
			int offset = messages.size() - entries.size();
			long bound = 0;
			for (int i = 0; i < messages.size(); i++) {
				var message = messages.get(i);
				var entry = i >= offset ? entries.get(i - offset) : null;
				var node = list.addObject().put("role", message.role().id());
				bound += message.content().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 8;
				if (entry == null || entry.images().isEmpty()) {
					node.put("content", message.content());
					continue;
				}
				var parts = node.putArray("content");
				parts.addObject().put("type", "text").put("text", message.content());
				for (var image : entry.images()) {
					parts.addObject().put("type", "image_url").putObject("image_url").put("url",
							"data:" + image.mediaType() + ";base64,"
									+ (withImages ? java.util.Base64.getEncoder().encodeToString(image.data()) : ""));
					bound += org.familiar.compute.PassThrough.MEDIA_TOKENS;
				}
			}
			return request.withPassThrough(new org.familiar.compute.PassThrough(org.familiar.compute.PassThrough.CHAT, body, true,
					false, "max_tokens", bound));
		}
	}

	private static int indexOf(List<StoredMessage> thread, UUID id, String role) {
		for (int i = 0; i < thread.size(); i++) {
			if (thread.get(i).id().equals(id) && thread.get(i).role().equals(role)) {
				return i;
			}
		}
		throw new InvalidChatException("That message is not in this conversation as it is shown now.");
	}

	/**
	 * Rates one of the person's replies; a reason becomes a preference memory.
	 * @return the memory written, if any
	 * @throws ConversationNotFoundException unless the caller owns the reply
	 */
	public @Nullable Remembered rate(Caller caller, UUID message, int rating, @Nullable String reason) {
		if (!conversations.rate(caller.person().value(), message, rating > 0 ? 1 : -1)) {
			throw new ConversationNotFoundException();
		}
		return memory.feedback(caller, "message:" + message, rating, reason);
	}

	@Override
	public String section() {
		return "conversations";
	}

	@Override
	public Object export(PersonId person) {
		var kept = responses.all(person.value()).stream().map(r -> Map.of("id", r.id(), "model", r.model(),
				"created_at", r.createdAt().toString(), "response", r.response())).toList();
		return Map.of("conversations", conversationsOf(person), "api_responses", kept);
	}

	private List<Map<String, Object>> conversationsOf(PersonId person) {
		return conversations.all(person.value()).stream().map(c -> {
			Map<String, @Nullable Object> data = new LinkedHashMap<>();
			data.put("id", c.id().toString());
			data.put("title", c.title());
			data.put("kind", c.kind());
			data.put("model", c.model());
			data.put("created_at", c.createdAt().toString());
			data.put("system_prompt", c.systemPrompt());
			data.put("temperature", c.temperature());
			data.put("messages", conversations.messages(c.id()).stream().map(m -> {
				Map<String, @Nullable Object> message = new LinkedHashMap<>();
				message.put("role", m.role());
				message.put("content", m.content());
				message.put("status", m.status());
				message.put("model", m.model());
				message.put("memories", m.memoryIds());
				message.put("rating", m.rating());
				message.put("id", m.id().toString());
				message.put("parent_id", m.parentId() == null ? null : m.parentId().toString());
				message.put("active", m.active());
				message.put("created_at", m.createdAt().toString());
				return message;
			}).toList());
			return data;
		}).toList();
	}

	@Override
	public void erase(PersonId person) {
		conversations.deleteAll(person.value());
		responses.deleteAll(person.value());
	}

	private StoredMessage interview(Caller caller, Conversation conversation, int step, @Nullable UUID last, String answer,
			ReplySink sink) {
		var now = clock.instant();
		var asked = conversations.append(conversation.id(), last, "user", answer, StoredMessage.COMPLETE, null, now);
		var next = memory.answerInterview(caller, step, answer, "conversation:" + conversation.id(),
				compute.models().stream().anyMatch(m -> m.id().equals(conversation.model()) && m.available())
						? conversation.model() : null);
		var text = next != null ? next : Interview.DONE;
		var reply = conversations.append(conversation.id(), asked.id(), "assistant", text, StoredMessage.COMPLETE,
				INTERVIEWER, now);
		conversations.touch(conversation.id(), conversation.model(), now);
		sink.started(reply.id());
		sink.recalled(List.of(), null);
		try {
			sink.accept(text);
		}
		catch (IOException gone) {
			// The answer is saved; the person sees the question when they come back.
		}
		return reply;
	}

	private Conversation add(Caller caller, String title, String model, String kind) {
		var now = clock.instant();
		var conversation = new Conversation(UUID.randomUUID(), caller.person().value(), title, model, now, now, kind, null,
				null, true);
		conversations.add(conversation);
		return conversation;
	}

	private static StoredMessage withContent(StoredMessage message, String content, String status,
			@Nullable String detail, List<String> memoryIds) {
		return new StoredMessage(message.id(), message.seq(), message.role(), content, status, detail, message.model(),
				message.createdAt(), memoryIds, null, message.parentId(), true);
	}
}
