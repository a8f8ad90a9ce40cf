package org.familiar.memory.internal;

import java.util.UUID;

/**
 * A finished exchange in the web chat, waiting to be read for memories. Published in a
 * transaction, so the event publication registry keeps it until {@link Extraction} has handled it.
 */
public record ExchangeToLearnFrom(UUID person, String username, String model, String conversation, String user,
		String reply) {
}
