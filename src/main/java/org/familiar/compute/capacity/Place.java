package org.familiar.compute.capacity;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.familiar.compute.WorkloadClass;
import org.jspecify.annotations.Nullable;

/** What every scheduler's ticket has: its class and person, and the grant its caller parks on. */
abstract class Place implements CapacityScheduler.Ticket {

	private final WorkloadClass workload;

	private final String person;

	/** Completed once, when the slot is granted. */
	final CompletableFuture<@Nullable Void> grant = new CompletableFuture<>();

	Place(WorkloadClass workload, String person) {
		this.workload = workload;
		this.person = person;
	}

	@Override
	public WorkloadClass workload() {
		return workload;
	}

	@Override
	public String person() {
		return person;
	}

	@Override
	public boolean granted() {
		return grant.isDone();
	}

	@Override
	public boolean await(Duration timeout) throws InterruptedException {
		try {
			grant.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
			return true;
		}
		catch (TimeoutException ex) {
			return false;
		}
		catch (ExecutionException ex) {
			throw new IllegalStateException(ex);
		}
	}
}
