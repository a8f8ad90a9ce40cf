package org.familiar.compute;

/**
 * Image or video work to run on a backend that serves the model: admitted by that backend's
 * scheduler as {@link WorkloadClass#BATCH} (it is expensive and nobody watches it token by token).
 *
 * @param requestId its id in the ledger: a measured energy for it comes as an {@link EnergyMeasured}
 * @param requester who is billed, opaque to compute (a person's id); backends see a pseudonym
 * @param model the model asked for (or {@code BACKEND/MODEL})
 * @param kind {@link ModelInfo#IMAGE} or {@link ModelInfo#VIDEO}
 */
public record MediaCall(String requestId, String requester, String model, String kind) {
}
