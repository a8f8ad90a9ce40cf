package org.familiar.compute;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The backend a {@link MediaCall} was given, for as long as it holds the slot: plain requests to
 * its OpenAI-compatible API (paths relative to its {@code /v1}).
 */
public interface MediaBackend {

	String name();

	/** The model's name on the backend (without a {@code BACKEND/} prefix or an alias). */
	String upstreamModel();

	ComputeSettings.MediaEnergy energy();

	/**
	 * POSTs a JSON body; {@code user} is set to the requester's pseudonym.
	 * @throws BackendUnavailableException if the backend cannot be reached
	 */
	MediaReply post(String path, ObjectNode body);

	/**
	 * POSTs multipart form data (OpenAI's image edits); {@code user} is set to the requester's pseudonym.
	 * @throws BackendUnavailableException if the backend cannot be reached
	 */
	MediaReply postForm(String path, java.util.Map<String, String> fields, java.util.List<Part> files);

	/** A file part of a form. */
	record Part(String name, String filename, String contentType, byte[] bytes) {
	}

	/** GETs a path, such as a job's state or its content. */
	MediaReply get(String path);

	/** The work Familiar does with it. */
	@FunctionalInterface
	interface Work<T> {

		/**
		 * @throws BackendUnavailableException before anything was made, to try the next backend
		 */
		T run(MediaBackend backend);
	}
}
