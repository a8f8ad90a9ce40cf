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
import org.familiar.identity.Caller;
import org.familiar.identity.PersonId;
import org.familiar.identity.PersonalData;
import org.familiar.memory.Interview;
import org.familiar.memory.MemoryManagement;
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

	AssistantManagement(Conversations conversations, ComputeManagement compute, PlansManagement plans,
			MemoryManagement memory, Clock clock, org.familiar.assistant.internal.StoredResponses responses) {
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

	/** @throws ConversationNotFoundException unless the caller owns it */
	public List<StoredMessage> messages(Caller caller, UUID id) {
		return conversations.messages(conversation(caller, id).id());
	}

	public boolean delete(Caller caller, UUID id) {
		return conversations.delete(caller.person().value(), id);
	}

	/**
	 * Starts a conversation with its first message as its title.
	 * @throws org.familiar.compute.ModelNotFoundException if the model does not exist
	 */
	public Conversation start(Caller caller, String model, String firstMessage) {
		compute.requireModel(model);
		var title = firstMessage.strip().replaceAll("\\s+", " ");
		if (title.length() > TITLE_LENGTH) {
			title = title.substring(0, TITLE_LENGTH - 1) + "…";
		}
		return add(caller, title.isEmpty() ? "New chat" : title, model, Conversation.CHAT);
	}

	/**
	 * Starts the onboarding interview: a conversation whose first replies are Familiar's questions,
	 * each answer becoming a memory; after the last it goes on as a normal chat with {@code model}.
	 */
	public Conversation startInterview(Caller caller, String model) {
		var conversation = add(caller, "Getting to know you", model, Conversation.INTERVIEW);
		conversations.append(conversation.id(), "assistant", Interview.QUESTIONS.getFirst().text(),
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
		var conversation = conversation(caller, conversationId);
		var ref = "conversation:" + conversation.id();
		if (Conversation.INTERVIEW.equals(conversation.kind())) {
			int step = (int) conversations.messages(conversation.id()).stream().filter(m -> "user".equals(m.role())).count();
			if (step < Interview.QUESTIONS.size()) {
				return interview(caller, conversation, step, text, sink);
			}
		}
		compute.requireModel(model);
		var history = history(conversation.id());
		var now = clock.instant();
		conversations.append(conversation.id(), "user", text, StoredMessage.COMPLETE, null, now);
		conversations.touch(conversation.id(), model, now);
		history.add(ChatMessage.user(text));
		var reply = conversations.append(conversation.id(), "assistant", "", StoredMessage.STREAMING, model, now);
		Remembered remembered = memory.rememberIfAsked(caller, text, ref);
		var recall = memory.recall(caller, history);
		if (!recall.used().isEmpty()) {
			conversations.recordMemories(reply.id(), recall.usedIds());
		}
		sink.recalled(recall.used(), remembered == null ? null : remembered.memory());
		var request = new ChatRequest("chat-" + reply.id(), caller.person().toString(), caller.workload(), model,
				recall.prependTo(history), null, null, null, List.of());
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
			Map<String, Object> data = new LinkedHashMap<>();
			data.put("id", c.id().toString());
			data.put("title", c.title());
			data.put("kind", c.kind());
			data.put("model", c.model());
			data.put("created_at", c.createdAt().toString());
			data.put("messages", conversations.messages(c.id()).stream().map(m -> {
				Map<String, @Nullable Object> message = new LinkedHashMap<>();
				message.put("role", m.role());
				message.put("content", m.content());
				message.put("status", m.status());
				message.put("model", m.model());
				message.put("memories", m.memoryIds());
				message.put("rating", m.rating());
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

	private StoredMessage interview(Caller caller, Conversation conversation, int step, String answer, ReplySink sink) {
		var now = clock.instant();
		conversations.append(conversation.id(), "user", answer, StoredMessage.COMPLETE, null, now);
		var next = memory.answerInterview(caller, step, answer, "conversation:" + conversation.id());
		var text = next != null ? next : Interview.DONE;
		var reply = conversations.append(conversation.id(), "assistant", text, StoredMessage.COMPLETE, INTERVIEWER, now);
		conversations.touch(conversation.id(), conversation.model(), now);
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
		var conversation = new Conversation(UUID.randomUUID(), caller.person().value(), title, model, now, now, kind);
		conversations.add(conversation);
		return conversation;
	}

	private List<ChatMessage> history(UUID conversation) {
		var history = new ArrayList<ChatMessage>();
		for (var message : conversations.messages(conversation)) {
			if (message.content().isEmpty()) {
				continue;
			}
			history.add(new ChatMessage("user".equals(message.role()) ? ChatMessage.Role.USER : ChatMessage.Role.ASSISTANT,
					message.content()));
		}
		return history;
	}

	private static StoredMessage withContent(StoredMessage message, String content, String status,
			@Nullable String detail, List<String> memoryIds) {
		return new StoredMessage(message.id(), message.seq(), message.role(), content, status, detail, message.model(),
				message.createdAt(), memoryIds, null);
	}
}
