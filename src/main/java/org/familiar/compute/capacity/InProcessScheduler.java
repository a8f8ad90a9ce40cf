package org.familiar.compute.capacity;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.WorkloadClass;
import org.jspecify.annotations.Nullable;

/**
 * Shares one backend's slots between workload classes and, inside a class, between people, in
 * this process: the scheduler for one replica, and for what runs inside each replica (the embedded
 * engine, local embeddings) when there are many.
 *
 * <p>The rules are {@link CapacityScheduler}'s. All state sits behind one lock; the work under
 * it is a few map lookups. Time comes from the given {@link InstantSource} so tests can drive it.
 */
public final class InProcessScheduler implements CapacityScheduler {

	private final String backend;

	private final int slots;

	private final InstantSource clock;

	private final Instant origin;

	private final ReentrantLock lock = new ReentrantLock();

	private final EnumMap<WorkloadClass, Share> classes = new EnumMap<>(WorkloadClass.class);

	private int running;

	private int waiting;

	/** A moving average of how long a slot is held, for Retry-After estimates. */
	private double holdNanos = Duration.ofSeconds(1).toNanos();

	public InProcessScheduler(String backend, int slots, Map<WorkloadClass, Policy> policies, InstantSource clock) {
		if (slots < 1) {
			throw new IllegalArgumentException("A backend needs at least one slot");
		}
		this.backend = backend;
		this.slots = slots;
		this.clock = clock;
		this.origin = clock.instant();
		for (var workload : WorkloadClass.values()) {
			var policy = policies.get(workload);
			if (policy == null) {
				throw new IllegalArgumentException("No capacity policy for " + workload.id());
			}
			classes.put(workload, new Share(policy.share(), policy));
		}
	}

	@Override
	public String backend() {
		return backend;
	}

	@Override
	public int slots() {
		return slots;
	}

	@Override
	public Policy policy(WorkloadClass workload) {
		return classes.get(workload).policy;
	}

	/**
	 * Asks for a slot: the ticket is granted at once when one is free and nobody waits, else it
	 * waits in its class's queue.
	 * @throws CapacityExceededException if the class's queue is full
	 */
	@Override
	public CapacityScheduler.Ticket request(WorkloadClass workload, String person) {
		var ticket = new Ticket(workload, person);
		List<Ticket> granted;
		lock.lock();
		try {
			var share = classes.get(workload);
			if (share.waiting >= share.policy.maxQueue()) {
				throw new CapacityExceededException(backend, workload,
						"Too many " + workload.id() + " requests are waiting for backend '" + backend + "' (the queue holds "
								+ share.policy.maxQueue() + "); try again later.",
						retryAfter());
			}
			long now = now();
			if (share.idle()) {
				share.catchUp(classes.values(), now);
			}
			var account = share.people.computeIfAbsent(person, p -> new Person());
			if (account.idle()) {
				account.catchUp(share.people.values(), now);
			}
			account.queue.add(ticket);
			share.waiting++;
			waiting++;
			granted = dispatch(now);
		}
		finally {
			lock.unlock();
		}
		grant(granted);
		return ticket;
	}

	/** Picks who gets the free slots; call with the lock held, complete the tickets after. */
	private List<Ticket> dispatch(long now) {
		List<Ticket> granted = List.of();
		while (running < slots && waiting > 0) {
			var share = next(now);
			if (share == null) {
				break; // only classes at their headroom wait
			}
			var person = share.next(now);
			var ticket = person.queue.poll();
			share.waiting--;
			waiting--;
			ticket.started = now;
			person.start(now);
			share.start(now);
			running++;
			if (granted.isEmpty()) {
				granted = new ArrayList<>(2);
			}
			granted.add(ticket);
		}
		return granted;
	}

	private @Nullable Share next(long now) {
		Share pick = null;
		int mostBelowFloor = 0;
		for (var share : classes.values()) {
			int belowFloor = share.policy.floor() - share.running;
			if (share.waiting > 0 && belowFloor > mostBelowFloor && mayStart(share)) {
				pick = share;
				mostBelowFloor = belowFloor;
			}
		}
		if (pick != null) {
			return pick;
		}
		double least = Double.MAX_VALUE;
		for (var share : classes.values()) {
			if (share.waiting > 0 && mayStart(share) && share.virtualTime(now) < least) {
				pick = share;
				least = share.virtualTime(now);
			}
		}
		return pick;
	}

	/** Whether the class may take one more slot without eating into the headroom it leaves others. */
	private boolean mayStart(Share share) {
		return share.running < Math.max(1, slots - share.policy.headroom());
	}

	private static void grant(List<Ticket> tickets) {
		tickets.forEach(ticket -> ticket.grant.complete(null));
	}

	private void finish(Ticket ticket) {
		List<Ticket> granted;
		lock.lock();
		try {
			if (ticket.released) {
				return;
			}
			ticket.released = true;
			var share = classes.get(ticket.workload());
			var person = share.people.get(ticket.person());
			long now = now();
			if (ticket.started >= 0) {
				share.stop(ticket.started, now);
				person.stop(ticket.started, now);
				running--;
				holdNanos = 0.9 * holdNanos + 0.1 * (now - ticket.started);
			}
			else if (person.queue.remove(ticket)) {
				share.waiting--;
				waiting--;
			}
			if (person.idle()) {
				share.people.remove(ticket.person());
			}
			if (running == 0 && waiting == 0) {
				classes.values().forEach(idle -> idle.done = 0); // nothing runs or waits: everyone starts level
			}
			granted = dispatch(now);
		}
		finally {
			lock.unlock();
		}
		grant(granted);
	}

	/** How long a refused caller should wait before trying again, from recent slot hold times. */
	private Duration retryAfter() {
		double nanos = holdNanos * (waiting + 1) / slots;
		return Duration.ofSeconds(Math.max(1, (long) Math.ceil(nanos / 1e9)));
	}

	@Override
	public Load load() {
		lock.lock();
		try {
			var loads = new ArrayList<ClassLoad>();
			classes.forEach((workload, share) -> loads.add(new ClassLoad(workload, share.policy, share.running, share.waiting)));
			return new Load(backend, slots, running, waiting, loads);
		}
		finally {
			lock.unlock();
		}
	}

	private long now() {
		return Duration.between(origin, clock.instant()).toNanos();
	}

	/**
	 * One request's place: waiting, then holding a slot. {@link #release} it exactly when done,
	 * whether it was granted, refused or abandoned; releasing twice does nothing.
	 */
	private final class Ticket extends Place {

		private final long enqueued = now();

		/** Nanoseconds since the scheduler's origin when the slot was granted, or -1. */
		private long started = -1;

		private boolean released;

		private Ticket(WorkloadClass workload, String person) {
			super(workload, person);
		}

		/** How long the ticket waited, or has waited so far. */
		@Override
		public Duration waited() {
			lock.lock();
			try {
				return Duration.ofNanos((started >= 0 ? started : now()) - enqueued);
			}
			finally {
				lock.unlock();
			}
		}

		/** When a refused caller may try again. */
		@Override
		public Duration retryAfter() {
			lock.lock();
			try {
				return InProcessScheduler.this.retryAfter();
			}
			finally {
				lock.unlock();
			}
		}

		/** Gives the slot back, or leaves the queue if it was not granted yet. */
		@Override
		public void release() {
			finish(this);
		}
	}

	/** Slot-time received: completed plus what running requests have held so far. */
	private abstract static class Account {

		final double weight;

		long done;

		int running;

		long startSum;

		Account(double weight) {
			this.weight = weight;
		}

		double virtualTime(long now) {
			return (done + running * now - startSum) / weight;
		}

		void start(long now) {
			running++;
			startSum += now;
		}

		void stop(long started, long now) {
			running--;
			startSum -= started;
			done += now - started;
		}

		abstract boolean idle();

		/** An account that was idle starts level with the least-served busy competitor. */
		void catchUp(Iterable<? extends Account> competitors, long now) {
			double level = Double.MAX_VALUE;
			for (var other : competitors) {
				if (other != this && !other.idle()) {
					level = Math.min(level, other.virtualTime(now));
				}
			}
			double own = virtualTime(now);
			if (level != Double.MAX_VALUE && own < level) {
				done += (long) ((level - own) * weight);
			}
		}
	}

	private static final class Share extends Account {

		final Policy policy;

		final Map<String, Person> people = new LinkedHashMap<>();

		int waiting;

		Share(double weight, Policy policy) {
			super(weight);
			this.policy = policy;
		}

		@Override
		boolean idle() {
			return running == 0 && waiting == 0;
		}

		Person next(long now) {
			Person pick = null;
			double least = Double.MAX_VALUE;
			for (var person : people.values()) {
				if (!person.queue.isEmpty() && person.virtualTime(now) < least) {
					pick = person;
					least = person.virtualTime(now);
				}
			}
			return pick;
		}
	}

	private static final class Person extends Account {

		final ArrayDeque<Ticket> queue = new ArrayDeque<>();

		Person() {
			super(1);
		}

		@Override
		boolean idle() {
			return running == 0 && queue.isEmpty();
		}
	}
}
