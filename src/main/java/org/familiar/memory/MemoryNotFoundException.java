package org.familiar.memory;

/** No memory with that id belongs to the caller (or the caller's app may not see it). */
public class MemoryNotFoundException extends RuntimeException {

	public MemoryNotFoundException() {
		super("No such memory.");
	}
}
