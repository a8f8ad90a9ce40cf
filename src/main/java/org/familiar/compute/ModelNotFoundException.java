package org.familiar.compute;

import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.ResponseStatus;

/** No backend offers the model asked for. */
@ResponseStatus(HttpStatus.NOT_FOUND)
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
