package org.familiar.plans;

/** The person's plan does not include what the request asks for: a model, a workload class or its size. */
public class PlanForbiddenException extends RuntimeException {

	private final String param;

	public PlanForbiddenException(String message, String param) {
		super(message);
		this.param = param;
	}

	/** The request field at fault ({@code model}, {@code max_tokens}) or {@code workload}. */
	public String param() {
		return param;
	}
}
