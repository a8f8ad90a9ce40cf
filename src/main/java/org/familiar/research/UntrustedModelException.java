package org.familiar.research;

/** A held-out suite was to run on (or be graded by) a model no trusted backend serves. */
public class UntrustedModelException extends RuntimeException {

	public UntrustedModelException(String model) {
		super("No trusted backend serves '" + model + "': a held-out suite's items go only to backends configured with "
				+ "familiar.backends.NAME.trusted=true (or the embedded engine).");
	}
}
