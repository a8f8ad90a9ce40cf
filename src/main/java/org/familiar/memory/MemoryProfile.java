package org.familiar.memory;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** A person's memory settings at a glance: paused or not, personality, interview, how many memories. */
public record MemoryProfile(boolean paused, Personality personality, @Nullable Instant interviewedAt, int count) {
}
