package org.familiar.memory;

import java.util.List;
import org.familiar.compute.ChatMessage;
import org.jspecify.annotations.Nullable;

/**
 * What memory adds to one request: a system message (personality, preferences, relevant facts) and
 * the memories it used, so the reply can say which shaped it.
 *
 * @param system the message to put before the request's own messages; {@code null} when there is
 * nothing to add
 */
public record Recall(@Nullable ChatMessage system, List<Memory> used) {

	public static final Recall NONE = new Recall(null, List.of());

	public Recall {
		used = List.copyOf(used);
	}

	/**
	 * {@code messages} with the system message, if any, put first: merged into the request's own
	 * leading system message if it has one (many chat templates take only one), else before it.
	 */
	public List<ChatMessage> prependTo(List<ChatMessage> messages) {
		if (system == null) {
			return messages;
		}
		var all = new java.util.ArrayList<ChatMessage>(messages.size() + 1);
		if (!messages.isEmpty() && messages.getFirst().role() == ChatMessage.Role.SYSTEM) {
			all.add(ChatMessage.system(merged(messages.getFirst().content())));
			all.addAll(messages.subList(1, messages.size()));
			return all;
		}
		all.add(system);
		all.addAll(messages);
		return all;
	}

	/** The system message's text followed by a request's own system text. */
	public String merged(String own) {
		return system == null ? own : own.isEmpty() ? system.content() : system.content() + "\n\n" + own;
	}

	public List<String> usedIds() {
		return used.stream().map(m -> m.id().toString()).toList();
	}
}
