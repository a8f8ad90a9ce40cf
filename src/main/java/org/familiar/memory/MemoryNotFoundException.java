package org.familiar.memory;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.ResponseStatus;

/** No memory with that id belongs to the caller (or the caller's app may not see it). */
@ResponseStatus(HttpStatus.NOT_FOUND)
public class MemoryNotFoundException extends RuntimeException {

	public MemoryNotFoundException() {
		super("No such memory.");
	}
}
