package org.familiar.compute;

/**
 * A model Familiar offers.
 *
 * @param id the name clients ask for
 * @param backend the backend serving it
 * @param available whether the backend is healthy (or, for the embedded engine, the model is present)
 * @param status a short human-readable state ("ready", "unreachable: …", "not downloaded")
 * @param kind {@link #CHAT} or {@link #EMBEDDING}: Familiar's own embedding model, and a backend's
 *     models whose name says "embed" (OpenAI's list does not say what a model does)
 */
public record ModelInfo(String id, String backend, boolean available, String status, String kind) {

	public static final String CHAT = "chat";

	public static final String EMBEDDING = "embedding";

	public ModelInfo(String id, String backend, boolean available, String status) {
		this(id, backend, available, status, CHAT);
	}

	public boolean chat() {
		return CHAT.equals(kind);
	}
}
