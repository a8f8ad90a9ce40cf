package org.familiar.attention;

import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** What was held for one digest time, summed up by a model ({@code byModel}) or listed plainly. */
public record Digest(UUID id, Instant dueAt, String text, @Nullable String byModel, int items) {
}
