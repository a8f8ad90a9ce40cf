package org.familiar.memory;

/**
 * The result of remembering something.
 *
 * @param merged whether it was close enough to an existing memory to replace that memory's wording
 * instead of being added
 */
public record Remembered(Memory memory, boolean merged) {
}
