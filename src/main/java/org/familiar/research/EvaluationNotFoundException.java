package org.familiar.research;

/** A suite or run that does not exist, or is not the caller's (the two look the same). */
public class EvaluationNotFoundException extends IllegalArgumentException {

	public EvaluationNotFoundException(String what, Object id) {
		super("No " + what + " " + id + ".");
	}
}
