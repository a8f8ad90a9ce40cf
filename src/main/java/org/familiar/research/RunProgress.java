package org.familiar.research;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * How far a run is: items graded of all, correct so far, items that failed (no reply: counted
 * wrong) and an estimate of the time left.
 */
public record RunProgress(String status, int items, int graded, int correct, int failed, @Nullable Duration eta) {

	public boolean finished() {
		return !ResearchManagement.RUNNING.equals(status);
	}
}
