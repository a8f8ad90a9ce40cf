package org.familiar.memory.internal;

import java.util.UUID;

/**
 * An interview answer kept as said, waiting for a model to write it down as a memory. Published
 * in a transaction, so the event publication registry keeps it until {@link InterviewCheck} has
 * handled it.
 *
 * @param memory the memory holding the answer as said
 * @param step which question it answers (0-based)
 */
public record InterviewAnswer(UUID person, String username, String model, UUID memory, int step, String answer) {
}
