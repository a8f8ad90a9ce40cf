package org.familiar.research;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.ResponseStatus;

/** A suite or run that does not exist, or is not the caller's (the two look the same). */
@ResponseStatus(HttpStatus.NOT_FOUND)
public class EvaluationNotFoundException extends IllegalArgumentException {

	public EvaluationNotFoundException(String what, Object id) {
		super("No " + what + " " + id + ".");
	}
}
