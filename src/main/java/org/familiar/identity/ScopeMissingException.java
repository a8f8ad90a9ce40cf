package org.familiar.identity;

/** An app called something the person did not allow it (it lacks the scope). */
public class ScopeMissingException extends RuntimeException {

	private final String scope;

	public ScopeMissingException(String scope) {
		super("This app was not allowed '" + scope + "'. Ask the person again with that scope.");
		this.scope = scope;
	}

	public String scope() {
		return scope;
	}

	/** @throws ScopeMissingException unless the caller may use {@code scope} */
	public static void require(Caller caller, String scope) {
		if (!caller.allows(scope)) {
			throw new ScopeMissingException(scope);
		}
	}
}
