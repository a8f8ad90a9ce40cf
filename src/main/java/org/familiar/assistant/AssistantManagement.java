package org.familiar.assistant;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.familiar.compute.BackendException;
import org.familiar.compute.BackendFailedException;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ChatResult;
import org.familiar.compute.ComputeManagement;
import org.familiar.plans.PlansManagement;
import org.familiar.compute.FinishReason;
import org.familiar.compute.TokenSink;
import org.familiar.identity.Caller;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

/**
 * The assistant module's entry point: conversations in the web app and replying in them.
 *
 * <p>A reply is saved before it starts (status {@code streaming}) and settled when it ends, so a
 * reply that is stopped, or whose backend fails mid-way, is kept with what was generated and
 * marked; nothing the person wrote is lost.
 */
@Service
public class AssistantManagement {

	private static final int TITLE_LENGTH = 60;

	private final Conversations conversations;

	private final ComputeManagement compute;

	private final PlansManagement plans;

	private final Clock clock;

	AssistantManagement(Conversations conversations, ComputeManagement compute, PlansManagement plans, Clock clock) {
		this.plans = plans;
		this.conversations = conversations;
		this.compute = compute;
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
		var now = clock.instant();
		var title = firstMessage.strip().replaceAll("\\s+", " ");
		if (title.length() > TITLE_LENGTH) {
			title = title.substring(0, TITLE_LENGTH - 1) + "…";
		}
		var conversation = new Conversation(UUID.randomUUID(), caller.person().value(), title.isEmpty() ? "New chat" : title,
				model, now, now);
		conversations.add(conversation);
		return conversation;
	}

	/**
	 * Adds the person's message and streams the reply into {@code sink}, saving it as it ends.
	 * @return the saved reply
	 * @throws BackendException if the backend failed; the partial reply is saved as failed first
	 */
	public StoredMessage reply(Caller caller, UUID conversationId, String model, String text, TokenSink sink) {
		var conversation = conversation(caller, conversationId);
		compute.requireModel(model);
		var history = history(conversation.id());
		var now = clock.instant();
		conversations.append(conversation.id(), "user", text, StoredMessage.COMPLETE, null, now);
		conversations.touch(conversation.id(), model, now);
		history.add(ChatMessage.user(text));
		var reply = conversations.append(conversation.id(), "assistant", "", StoredMessage.STREAMING, model, now);
		var request = new ChatRequest("chat-" + reply.id(), caller.person().toString(), caller.workload(), model, history,
				null, null, null, List.of());
		try {
			ChatResult result = compute.chat(plans.admit(caller, request), sink);
			var status = result.finishReason() == FinishReason.CANCELLED ? StoredMessage.STOPPED : StoredMessage.COMPLETE;
			conversations.settle(reply.id(), result.text(), status, null);
			return withContent(reply, result.text(), status, null);
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
			@Nullable String detail) {
		return new StoredMessage(message.id(), message.seq(), message.role(), content, status, detail, message.model(),
				message.createdAt());
	}
}
