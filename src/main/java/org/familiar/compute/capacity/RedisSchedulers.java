package org.familiar.compute.capacity;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.familiar.compute.BackendUnavailableException;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.WorkloadClass;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.ClassPathResource;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

/**
 * Capacity schedulers whose state lives in Redis, so that every replica hands out the same
 * backend's slots: one key per backend ({@code familiar:capacity:<name> <url>}) and one Lua script
 * ({@code capacity.lua}) that keeps {@link CapacityScheduler}'s rules atomically for all of them.
 *
 * <p>Every ticket this replica holds or waits with is a lease, renewed by {@link #renew()} every
 * third of {@link #LEASE}; a replica that dies stops renewing, and the next call from any replica
 * releases its tickets, so its slots come back within a lease and a renewal. A slot freed by one
 * replica may be granted to a request waiting on another: the script publishes granted ticket
 * ids on {@link #GRANTS}, and each replica wakes its own waiters ({@link #granted(String)}); the
 * renewal also reports grants, in case a message was missed. A waiting request still holds only a
 * parked virtual thread and no backend connection, and its place is given up when it is released.
 *
 * <p>Time is the caller's clock, so tests drive it; replicas' clocks should agree to well within
 * a lease (NTP does).
 */
public final class RedisSchedulers implements CapacityScheduler.Factory, AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(RedisSchedulers.class);

	/** How long a ticket lives without renewal. */
	public static final Duration LEASE = Duration.ofSeconds(5);

	/** The channel on which the script publishes the tickets it granted, space-separated. */
	public static final String GRANTS = "familiar-capacity:grants";

	static final String KEYS = "familiar:capacity:";

	private static final RedisScript<List<String>> SCRIPT = script();

	@SuppressWarnings({ "unchecked", "rawtypes" })
	private static RedisScript<List<String>> script() {
		return (RedisScript) RedisScript.of(new ClassPathResource("org/familiar/compute/capacity/capacity.lua"), List.class);
	}

	private final StringRedisTemplate redis;

	/** Prefix of this replica's ticket ids. */
	private final String replica = UUID.randomUUID().toString();

	private final AtomicLong sequence = new AtomicLong();

	/** This replica's tickets that are waiting or running, by id. */
	private final Map<String, Shared.Entry> tickets = new ConcurrentHashMap<>();

	private final List<Shared> schedulers = new CopyOnWriteArrayList<>();

	private final Duration lease;

	private final java.util.concurrent.ScheduledExecutorService renewals = java.util.concurrent.Executors
		.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("capacity-leases").daemon().factory());

	public RedisSchedulers(StringRedisTemplate redis) {
		this(redis, LEASE);
	}

	RedisSchedulers(StringRedisTemplate redis, Duration lease) {
		this.redis = redis;
		this.lease = lease;
	}

	@Override
	public CapacityScheduler create(String backend, String identity, int slots,
			Map<WorkloadClass, CapacityScheduler.Policy> policies, InstantSource clock) {
		var scheduler = new Shared(backend, identity, slots, policies, clock);
		schedulers.add(scheduler);
		return scheduler;
	}

	/** How often {@link #renew()} should run. */
	public Duration renewEvery() {
		return lease.dividedBy(3);
	}

	/**
	 * Renews this replica's tickets on every backend, releases the tickets of replicas that
	 * stopped renewing theirs, and wakes this replica's waiters that were granted meanwhile.
	 */
	public void renew() {
		for (var scheduler : schedulers) {
			try {
				scheduler.renew();
			}
			catch (RuntimeException ex) {
				log.warn("Could not renew the capacity leases on backend '{}' in Redis: {}", scheduler.backend,
						ex.getMessage());
			}
		}
	}

	/** A message on {@link #GRANTS}: wakes those of the tickets that wait here. */
	public void granted(String ids) {
		for (var id : ids.split(" ")) {
			var ticket = tickets.get(id);
			if (ticket != null) {
				ticket.grant();
			}
		}
	}

	/** Renews the leases every {@link #renewEvery()} on a thread of its own until {@link #close()}. */
	public RedisSchedulers start() {
		renewals.scheduleWithFixedDelay(this::renew, renewEvery().toMillis(), renewEvery().toMillis(), TimeUnit.MILLISECONDS);
		return this;
	}

	/** Stops renewing and gives back what this replica still holds or waits for. */
	@Override
	public void close() {
		renewals.shutdownNow();
		for (var ticket : List.copyOf(tickets.values())) {
			ticket.release();
		}
	}

	/** One backend's scheduler over Redis. */
	private final class Shared implements CapacityScheduler {

		private final String backend;

		private final int slots;

		private final Map<WorkloadClass, Policy> policies;

		private final InstantSource clock;

		private final String key;

		private final String policyArgument;

		Shared(String backend, String identity, int slots, Map<WorkloadClass, Policy> policies, InstantSource clock) {
			if (slots < 1) {
				throw new IllegalArgumentException("A backend needs at least one slot");
			}
			this.backend = backend;
			this.slots = slots;
			this.policies = Map.copyOf(policies);
			this.clock = clock;
			this.key = KEYS + identity;
			for (var workload : WorkloadClass.values()) {
				if (!policies.containsKey(workload)) {
					throw new IllegalArgumentException("No capacity policy for " + workload.id());
				}
			}
			this.policyArgument = java.util.Arrays.stream(WorkloadClass.values()).map(workload -> {
				var policy = policies.get(workload);
				return workload.id() + " " + policy.share() + " " + policy.floor() + " " + policy.maxQueue() + " "
						+ policy.headroom();
			}).collect(Collectors.joining(";"));
		}

		private List<String> run(String op, String... rest) {
			var args = new ArrayList<String>(6 + rest.length);
			args.add(op);
			args.add(Long.toString(clock.millis()));
			args.add(Long.toString(lease.toMillis()));
			args.add(Integer.toString(slots));
			args.add(policyArgument);
			args.add(GRANTS);
			args.addAll(List.of(rest));
			var reply = redis.execute(SCRIPT, List.of(key), args.toArray());
			return reply != null ? reply : List.of();
		}

		/** Wakes this replica's tickets among {@code ids} (from index {@code from}). */
		private void wake(List<String> ids, int from) {
			for (int i = from; i < ids.size(); i++) {
				var ticket = tickets.get(ids.get(i));
				if (ticket != null) {
					ticket.grant();
				}
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
			return policies.get(workload);
		}

		@Override
		public Ticket request(WorkloadClass workload, String person) {
			var ticket = new Entry(replica + ":" + sequence.incrementAndGet(), workload, person);
			tickets.put(ticket.id, ticket); // before the script: a grant may be published before it returns
			List<String> reply;
			try {
				reply = run("request", ticket.id, workload.id(), person);
			}
			catch (RuntimeException ex) {
				tickets.remove(ticket.id);
				throw new BackendUnavailableException(backend, "Backend '" + backend
						+ "' cannot be scheduled: the replicas' shared capacity in Redis is unreachable (" + ex.getMessage()
						+ "); try again in a moment.", ex);
			}
			ticket.retryAfter = retryAfter(reply.get(1));
			if (reply.get(0).equals("full")) {
				tickets.remove(ticket.id);
				ticket.released.set(true);
				var maxQueue = policies.get(workload).maxQueue();
				throw new CapacityExceededException(backend, workload, "Too many " + workload.id()
						+ " requests are waiting for backend '" + backend + "' (the queue holds " + maxQueue
						+ "); try again later.", ticket.retryAfter);
			}
			wake(reply, 2);
			return ticket;
		}

		private static Duration retryAfter(String millis) {
			return Duration.ofSeconds(Math.max(1, (long) Math.ceil(Long.parseLong(millis) / 1000.0)));
		}

		/** The last load read, for when Redis cannot be reached. */
		private volatile @Nullable Load last;

		@Override
		public Load load() {
			List<String> reply;
			try {
				reply = run("load");
			}
			catch (RuntimeException ex) {
				log.debug("Could not read backend '{}''s load from Redis: {}", backend, ex.getMessage());
				var known = last;
				return known != null ? known : new Load(backend, slots, 0, 0, java.util.Arrays.stream(WorkloadClass.values())
					.map(workload -> new ClassLoad(workload, policies.get(workload), 0, 0))
					.toList());
			}
			var classes = new ArrayList<ClassLoad>();
			var workloads = WorkloadClass.values();
			for (int i = 0; i < workloads.length; i++) {
				classes.add(new ClassLoad(workloads[i], policies.get(workloads[i]), Integer.parseInt(reply.get(3 + 2 * i)),
						Integer.parseInt(reply.get(4 + 2 * i))));
			}
			var load = new Load(backend, slots, Integer.parseInt(reply.get(0)), Integer.parseInt(reply.get(1)), classes);
			last = load;
			return load;
		}

		void renew() {
			var mine = tickets.values().stream().filter(ticket -> ticket.scheduler() == this).toList();
			var ids = mine.stream().map(ticket -> ticket.id).toArray(String[]::new);
			var reply = run("renew", ids);
			for (int i = 0; i < mine.size(); i++) {
				var ticket = mine.get(i);
				switch (reply.get(i)) {
					case "g" -> ticket.grant();
					case "x" -> {
						// A ticket asked for while this renewal ran is not in Redis yet: not lost.
						if (!ticket.released.get() && Duration.between(ticket.enqueued, clock.instant()).compareTo(lease) > 0) {
							log.warn("A {} request's {} on backend '{}' ran out before it was renewed (was this replica paused?)",
									ticket.workload().id(), ticket.granted() ? "slot" : "place in the queue", backend);
						}
					}
					default -> {
					}
				}
			}
			wake(reply, mine.size());
		}

		/** One request's ticket, as this replica knows it. */
		private final class Entry extends Place {

			final String id;

			final Instant enqueued = clock.instant();

			volatile @Nullable Instant started;

			volatile Duration retryAfter = Duration.ofSeconds(1);

			final AtomicBoolean released = new AtomicBoolean();

			Entry(String id, WorkloadClass workload, String person) {
				super(workload, person);
				this.id = id;
			}

			Shared scheduler() {
				return Shared.this;
			}

			void grant() {
				if (!grant.isDone()) {
					started = clock.instant();
					grant.complete(null);
				}
			}

			@Override
			public Duration waited() {
				var at = started;
				return Duration.between(enqueued, at != null ? at : clock.instant());
			}

			@Override
			public Duration retryAfter() {
				try {
					return Shared.retryAfter(run("load").get(2));
				}
				catch (RuntimeException ex) {
					return retryAfter;
				}
			}

			@Override
			public void release() {
				if (!released.compareAndSet(false, true)) {
					return;
				}
				tickets.remove(id);
				try {
					wake(run("release", id), 1);
				}
				catch (RuntimeException ex) {
					log.warn("Could not release a {} request's slot on backend '{}' in Redis ({}); its lease runs out in {} s",
							workload().id(), backend, ex.getMessage(), lease.toSeconds());
				}
			}
		}
	}
}
