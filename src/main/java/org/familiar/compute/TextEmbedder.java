package org.familiar.compute;

import java.util.List;

/**
 * An embedding model running in this process, offered on {@code /v1/embeddings} as
 * {@link #MODEL} so embeddings work with nothing installed. Memory provides it (the model it
 * searches memories with); compute schedules and meters its requests like any backend's.
 */
public interface TextEmbedder {

	/** The model's name on {@code /v1}. */
	String MODEL = "familiar-embed";

	/** Vectors of unit length, one per text, and the tokens the model read. */
	Embedded embed(List<String> texts);

	int dimensions();

	record Embedded(List<float[]> vectors, int tokens) {
	}
}
