package org.familiar.compute;

/** No backend offers the model asked for. */
public class ModelNotFoundException extends RuntimeException {

	private final String model;

	public ModelNotFoundException(String model) {
		super("The model '" + model + "' does not exist. GET /v1/models lists the models this Familiar offers.");
		this.model = model;
	}

	public String model() {
		return model;
	}
}
