package org.familiar.compute;

/**
 * A model Familiar offers.
 *
 * @param id the name clients ask for
 * @param backend the backend serving it
 * @param available whether the backend is healthy (or, for the embedded engine, the model is present)
 * @param status a short human-readable state ("ready", "unreachable: …", "not downloaded")
 */
public record ModelInfo(String id, String backend, boolean available, String status) {
}
