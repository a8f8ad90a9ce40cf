package org.familiar.compute;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Tells every replica that something it may have cached changed: a revoked token, a disconnected
 * app, a deleted account, a new plan, a retired key. A module subscribes to a topic with what to
 * forget and publishes when it changes the thing; the message is a key (or empty for everything).
 *
 * <p>With one replica the listeners run in this process. With the {@code redis} profile the message
 * also goes out on Redis pub/sub ({@code familiar:<topic>}) to the other replicas, which run their
 * listeners when it arrives (within milliseconds). Inside a transaction it goes out after the
 * commit, so no replica reloads what it forgot before the change is visible.
 */
public abstract class Broadcasts {

	private final Map<String, List<Consumer<String>>> listeners = new ConcurrentHashMap<>();

	/** This process, so that it can tell its own messages from the other replicas'. */
	protected final String sender = UUID.randomUUID().toString();

	/** Runs {@code listener} with each message published on {@code topic}, here or on another replica. */
	public void subscribe(String topic, Consumer<String> listener) {
		listeners.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>()).add(listener);
	}

	/** Publishes {@code message} on {@code topic} to this replica and the others (after the commit, in a transaction). */
	public void publish(String topic, String message) {
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCommit() {
					deliver(topic, message);
				}
			});
		}
		else {
			deliver(topic, message);
		}
	}

	private void deliver(String topic, String message) {
		receive(topic, message);
		send(topic, message);
	}

	/** Runs this replica's listeners of {@code topic}. */
	protected void receive(String topic, String message) {
		listeners.getOrDefault(topic, List.of()).forEach(listener -> listener.accept(message));
	}

	/** Sends the message to the other replicas, if there are any. */
	protected abstract void send(String topic, String message);

	/** One replica: nothing to send. */
	static final class InProcess extends Broadcasts {

		@Override
		protected void send(String topic, String message) {
		}
	}
}
