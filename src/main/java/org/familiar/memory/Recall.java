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

	/** {@code messages} with the system message, if any, put first. */
	public List<ChatMessage> prependTo(List<ChatMessage> messages) {
		if (system == null) {
			return messages;
		}
		var all = new java.util.ArrayList<ChatMessage>(messages.size() + 1);
		all.add(system);
		all.addAll(messages);
		return all;
	}

	public List<String> usedIds() {
		return used.stream().map(m -> m.id().toString()).toList();
	}
}
