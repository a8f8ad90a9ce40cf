package org.familiar.compute;

/** No backend serving the model can honour a field of the request (a 400 naming it, never a silent drop). */
public class UnsupportedFieldException extends RuntimeException {

	private final String param;

	public UnsupportedFieldException(String param, String message) {
		super(message);
		this.param = param;
	}

	public String param() {
		return param;
	}
}
