package org.familiar.compute;

/**
 * A request's energy as measured at its backend's power source: its share, by slot time, of the
 * joules the source reported while it held a slot. Published once per request, at the first scrape
 * after it ended, some seconds after its {@link CompletionFinished} (which carries the estimate).
 * A request the source did not see from start to end (the source was down, or Familiar started
 * scraping while it ran) gets no such event and keeps its estimate.
 *
 * @param requester who is billed, as in the request (a person's id)
 * @param estimatedJoules what the configured joules per token or per image said
 */
public record EnergyMeasured(String requestId, String backend, WorkloadClass workload, String requester, double joules,
		double estimatedJoules) {

	public double wattHours() {
		return joules / 3600.0;
	}
}
