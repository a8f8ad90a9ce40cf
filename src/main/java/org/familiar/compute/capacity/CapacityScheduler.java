package org.familiar.compute.capacity;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.WorkloadClass;

/**
 * Shares one backend's slots between workload classes and, inside a class, between people.
 *
 * <p>The policy, per class: a {@code share} (weight under contention), a {@code floor} (slots the
 * class gets first while it has requests waiting), a bounded queue, a longest wait and a
 * headroom. When a slot frees, a waiting class below its floor is served first; otherwise the
 * waiting class that has received the least slot-time for its share (start-time fair queueing on
 * slot-seconds). The same rule with equal weights picks the person inside the class, so one
 * person's flood cannot take the class's share. A class or person that was idle starts level with
 * the busiest competitor rather than with banked credit. Slots nobody waits for go to whoever asks
 * (work-conserving). When nothing runs or waits, the history is forgotten and everyone starts
 * level.
 *
 * <p>Two implementations keep these rules: {@link InProcessScheduler} for one replica, and
 * {@link RedisSchedulers} where many replicas share a backend. Waiting holds no thread: the
 * caller parks (a virtual thread) on its {@link Ticket} and holds no backend connection until it
 * is granted.
 */
public interface CapacityScheduler {

	/**
	 * How a class is treated on this backend.
	 * @param share weight under contention (any positive number; shares are relative)
	 * @param floor slots the class is served first for while it has demand
	 * @param maxQueue the most requests of the class that may wait here
	 * @param maxWait the longest a request of the class waits before it is refused
	 * @param headroom slots the class leaves free for the other classes even when they are idle
	 * (it always may take one), so that their requests find a slot at once instead of waiting for
	 * one of its requests to finish
	 */
	record Policy(double share, int floor, int maxQueue, Duration maxWait, int headroom) {

		public Policy {
			if (!(share > 0)) {
				throw new IllegalArgumentException("share must be positive, was " + share);
			}
			if (floor < 0 || maxQueue < 0 || headroom < 0) {
				throw new IllegalArgumentException("floor, max-queue and headroom must not be negative");
			}
		}

		public Policy(double share, int floor, int maxQueue, Duration maxWait) {
			this(share, floor, maxQueue, maxWait, 0);
		}
	}

	/** What one class holds and waits for right now. */
	record ClassLoad(WorkloadClass workload, Policy policy, int running, int waiting) {
	}

	/** The whole backend's load right now. */
	record Load(String backend, int slots, int running, int waiting, List<ClassLoad> classes) {
	}

	/** Makes the scheduler of one backend. */
	@FunctionalInterface
	interface Factory {

		/**
		 * @param backend the backend's name
		 * @param identity what tells this backend apart where schedulers are shared: replicas
		 * configured with the same name and URL share its slots
		 */
		CapacityScheduler create(String backend, String identity, int slots, Map<WorkloadClass, Policy> policies,
				InstantSource clock);
	}

	String backend();

	int slots();

	Policy policy(WorkloadClass workload);

	/**
	 * Asks for a slot: the ticket is granted at once when one is free and nobody waits, else it
	 * waits in its class's queue.
	 * @throws CapacityExceededException if the class's queue is full
	 */
	Ticket request(WorkloadClass workload, String person);

	Load load();

	/**
	 * One request's place: waiting, then holding a slot. {@link #release} it exactly when done,
	 * whether it was granted, refused or abandoned; releasing twice does nothing.
	 */
	interface Ticket {

		WorkloadClass workload();

		String person();

		boolean granted();

		/**
		 * Waits up to {@code timeout} for the slot.
		 * @return whether it was granted
		 */
		boolean await(Duration timeout) throws InterruptedException;

		/** How long the ticket waited, or has waited so far. */
		Duration waited();

		/** When a refused caller may try again. */
		Duration retryAfter();

		/** Gives the slot back, or leaves the queue if it was not granted yet. */
		void release();
	}
}
