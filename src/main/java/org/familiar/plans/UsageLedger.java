package org.familiar.plans;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The ledger: a hold per running request ({@code ledger_hold}) and one settled entry per request
 * ({@code ledger_entry}, appended, never changed), which records what was reserved and what was
 * charged. Settling deletes the hold and appends the entry in one transaction.
 *
 * <p>Exactness under concurrency comes from one lock and one snapshot. A reservation that checks a
 * budget first locks the person's {@code plan_account} row ({@code SELECT … FOR UPDATE}), which
 * both H2 and PostgreSQL honour across connections and replicas, so two reservations of a person
 * take turns; under that lock it reads the balance (settled usage in the window plus what is held)
 * in one statement and adds its hold. A settlement takes no lock: in one transaction it deletes
 * the hold and adds the charge to the usage buckets, which a balance read sees whole or not at
 * all. Settling twice is impossible: the second finds no hold and does nothing, and the entry's
 * primary key (request, kind) refuses a second entry.
 *
 * <p>Settled usage is also added to an hourly bucket per person; the balance of a rolling window
 * sums the buckets that overlap it, so a bucket partly out of the window still counts whole: the
 * check errs towards refusing, never towards overspending.
 */
@Repository
class UsageLedger {

	private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(UsageLedger.class);

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	/** Tokens charged beyond what was reserved: should stay zero (the reservation is an upper bound). */
	private final Counter overshoot;

	/** How long the writer takes per batch, and how many reservations and settlements a batch holds. */
	private final io.micrometer.core.instrument.Timer batchTime;

	private final io.micrometer.core.instrument.DistributionSummary batchSize;

	private final org.springframework.jdbc.core.JdbcTemplate jdbc;

	private final org.familiar.compute.Broadcasts broadcasts;

	/** The topic on which replicas tell each other that a person set or lifted an app's cap ("person source"). */
	static final String CAP_CHANGED = "plans.caps";

	UsageLedger(JdbcClient db, org.springframework.jdbc.core.JdbcTemplate jdbc, TransactionTemplate transactions,
			MeterRegistry meters, org.familiar.compute.Broadcasts broadcasts, MediaLedger media) {
		this.broadcasts = broadcasts;
		this.media = media;
		broadcasts.subscribe(CAP_CHANGED, key -> {
			var ids = key.split(" ");
			cappedSources.invalidate(List.of(UUID.fromString(ids[0]), UUID.fromString(ids[1])));
		});
		this.db = db;
		this.jdbc = jdbc;
		this.writer = Thread.ofVirtual().name("ledger-writer").unstarted(this::writeQueued);
		this.transactions = transactions;
		this.overshoot = Counter.builder("familiar.ledger.overshoot")
			.baseUnit("tokens")
			.description("Tokens a request used beyond its reservation (charged all the same)")
			.register(meters);
		this.batchTime = io.micrometer.core.instrument.Timer.builder("familiar.ledger.batch")
			.description("Time the ledger writer takes to write one batch (one transaction)")
			.publishPercentileHistogram()
			.register(meters);
		this.batchSize = io.micrometer.core.instrument.DistributionSummary.builder("familiar.ledger.batch.size")
			.description("Reservations and settlements written in one batch")
			.publishPercentileHistogram()
			.register(meters);
		writer.start();
	}

	/** A request to reserve for. */
	record Hold(String requestId, UUID person, @Nullable UUID token, String model, String workload, long tokens,
			String node) {
	}

	/** What a person has used and holds in the current window. */
	record Balance(long used, long held, long requests, double energyWh, @Nullable Instant oldest) {
	}

	/**
	 * Reserves {@code hold.tokens()} if the person's budget allows it. Concurrent reservations are
	 * committed together (group commit): the calling thread queues its hold and waits while the
	 * ledger's writer writes whatever has queued up in one transaction, checking each against its
	 * person's balance under that person's lock. A hold nothing can refuse (an unlimited plan, an
	 * app without a cap) is not waited for: it is written with the next batch, before its own
	 * settlement, as settlements are.
	 * @return {@code null} when it was reserved, else the balance that refused it
	 * @throws CapReached if the hold's app is over the cap the person set for it
	 */
	@Nullable Balance reserve(Hold hold, long budget, Duration window, Instant now) {
		if (!running) {
			throw new IllegalStateException("The ledger is shutting down");
		}
		boolean refusable = budget > 0 || hold.token() != null && hold.tokens() > 0 && capped(hold.person(), hold.token());
		var pending = new Pending(hold, budget, window, now, refusable);
		queue.add(pending);
		if (!refusable) {
			return null;
		}
		Object outcome;
		try {
			outcome = pending.done.get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while reserving", ex);
		}
		catch (java.util.concurrent.ExecutionException ex) {
			throw ex.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(ex.getCause());
		}
		if (outcome instanceof CapBalance capped) {
			throw new CapReached(capped);
		}
		return outcome instanceof Balance refused ? refused : null;
	}

	/**
	 * A hold waiting for the writer; completed with {@link #RESERVED}, a refusing {@link Balance} or
	 * a {@link CapBalance}. Only a {@code refusable} one has a caller waiting for that.
	 */
	private record Pending(Hold hold, long budget, Duration window, Instant now, boolean refusable,
			java.util.concurrent.CompletableFuture<Object> done) {

		Pending(Hold hold, long budget, Duration window, Instant now, boolean refusable) {
			this(hold, budget, window, now, refusable, new java.util.concurrent.CompletableFuture<>());
		}
	}

	private static final Object RESERVED = new Object();

	/** The most reservations and settlements written in one transaction. */
	private static final int WRITE_BATCH = 512;

	/** Holds ({@link Pending}) and {@link Settlement}s waiting for the writer, in the order they came. */
	private final java.util.concurrent.LinkedBlockingQueue<Object> queue = new java.util.concurrent.LinkedBlockingQueue<>();

	private volatile boolean running = true;

	private final Thread writer;

	/**
	 * Queues a settlement: the reply is already on its way. The writer settles it with whatever
	 * else has queued up (reservations included) in one transaction.
	 */
	void settleLater(Settlement settlement) {
		queue.add(settlement);
	}

	/**
	 * How long settlements and holds nothing can refuse wait for a reservation to share a commit
	 * with. Nobody waits on them, and a commit costs about the same for one entry as for a
	 * hundred, so they go with the next reservation that is waited for, or alone after this long.
	 */
	static final Duration SETTLE_LINGER = Duration.ofMillis(5);

	/**
	 * The ledger's one writer on this node: whatever has queued up — reservations waiting for
	 * their answer and settlements — goes into one transaction, so a busy server commits once per
	 * batch, and reservations and settlements never wait on each other's locks here. What nobody
	 * waits for waits up to {@link #SETTLE_LINGER} for a reservation to go with.
	 */
	private void writeQueued() {
		var batch = new java.util.ArrayList<Object>(WRITE_BATCH);
		while (running) {
			try {
				var first = queue.take();
				batch.add(first);
				boolean waitedOn = first instanceof Pending pending && pending.refusable();
				long until = System.nanoTime() + SETTLE_LINGER.toNanos();
				while (!waitedOn && batch.size() < WRITE_BATCH) {
					var next = queue.poll(until - System.nanoTime(), java.util.concurrent.TimeUnit.NANOSECONDS);
					if (next == null) {
						break;
					}
					batch.add(next);
					waitedOn = next instanceof Pending pending && pending.refusable();
				}
			}
			catch (InterruptedException stopping) {
				break;
			}
			queue.drainTo(batch, WRITE_BATCH - batch.size());
			batchSize.record(batch.size());
			batchTime.record(() -> write(batch));
			batch.clear();
		}
		// Stopping: what ran is held and settled; what waits to start is refused.
		queue.drainTo(batch);
		for (var item : batch) {
			if (item instanceof Pending pending && pending.refusable()) {
				pending.done.completeExceptionally(new IllegalStateException("The ledger is shutting down"));
			}
		}
		batch.removeIf(item -> item instanceof Pending pending && pending.refusable());
		if (!batch.isEmpty()) {
			write(batch);
		}
	}

	/**
	 * Writes a batch in one transaction: first the holds nothing can refuse (a settlement in the
	 * batch may be theirs), then the settlements (what they release counts for the rest), then
	 * the reservations that are checked.
	 */
	private void write(List<Object> batch) {
		var unrefusable = new java.util.ArrayList<Pending>();
		var holds = new java.util.ArrayList<Pending>();
		var settlements = new java.util.ArrayList<Settlement>();
		var measured = new java.util.ArrayList<Measured>();
		for (var item : batch) {
			if (item instanceof Pending pending) {
				(pending.refusable() ? holds : unrefusable).add(pending);
			}
			else if (item instanceof Measured measurement) {
				measured.add(measurement);
			}
			else {
				settlements.add((Settlement) item);
			}
		}
		// Persons locked in one order (their ids as text) everywhere, so batches on two replicas do not deadlock.
		holds.sort(java.util.Comparator.comparing(pending -> pending.hold().person().toString()));
		settlements.sort(java.util.Comparator.comparing(Settlement::requester));
		List<Object> outcomes;
		try {
			outcomes = transactions.execute(status -> {
				reserveHere(unrefusable);
				settleTogether(settlements, Instant.now());
				measure(measured);
				return reserveHere(holds);
			});
		}
		catch (RuntimeException batchFailed) {
			log.warn("A ledger batch of {} reservations and {} settlements failed ({}); writing them one by one",
					unrefusable.size() + holds.size(), settlements.size(), batchFailed.getMessage());
			// One at a time, so one that cannot be written does not fail the others.
			for (var pending : unrefusable) {
				try {
					transactions.execute(status -> reserveHere(List.of(pending)));
				}
				catch (RuntimeException failed) {
					log.error("Could not hold {}; its settlement will find no hold and charge nothing", pending.hold().requestId(),
							failed);
				}
			}
			for (var settlement : settlements) {
				try {
					settle(settlement, Instant.now());
				}
				catch (RuntimeException failed) {
					log.error("Could not settle {}; it is settled when this node restarts", settlement.requestId(), failed);
				}
			}
			try {
				transactions.executeWithoutResult(status -> measure(measured));
			}
			catch (RuntimeException failed) {
				log.error("Could not record {} energy measurements; those requests keep their estimates", measured.size(), failed);
			}
			for (var pending : holds) {
				try {
					pending.done.complete(Objects.requireNonNull(transactions.execute(status -> reserveHere(List.of(pending)))).getFirst());
				}
				catch (RuntimeException failed) {
					pending.done.completeExceptionally(failed);
				}
			}
			return;
		}
		for (int i = 0; i < holds.size(); i++) {
			holds.get(i).done.complete(outcomes.get(i));
		}
		unrefusable.forEach(pending -> pending.done.complete(RESERVED));
	}

	/**
	 * Checks and writes a batch of holds within the caller's transaction: each person with a
	 * budget or an app cap is locked and their balance read once, and each hold checked against
	 * it plus what the batch already holds for them; the accepted holds are inserted in one batch.
	 * An unlimited plan without an app cap needs no balance and takes no lock.
	 */
	private List<Object> reserveHere(List<Pending> batch) {
		var outcomes = new java.util.ArrayList<Object>(batch.size());
		var balances = new java.util.HashMap<UUID, Balance>();
		var locked = new java.util.HashSet<UUID>();
		var added = new java.util.LinkedHashMap<UUID, Long>();
		var addedByApp = new java.util.HashMap<UUID, Long>();
		var accepted = new java.util.ArrayList<Pending>(batch.size());
		for (var pending : batch) {
			if (!pending.refusable()) {
				// Nothing can refuse it (decided when it was queued): no balance, no cap to read.
				accepted.add(pending);
				outcomes.add(RESERVED);
				continue;
			}
			var hold = pending.hold();
			var person = hold.person();
			long inBatch = added.getOrDefault(person, 0L);
			if (pending.budget() > 0) {
				var balance = balances.computeIfAbsent(person, p -> lockedBalance(p, pending.window(), pending.now()));
				locked.add(person);
				if (balance.used() + balance.held() + inBatch + hold.tokens() > pending.budget()) {
					outcomes.add(new Balance(balance.used(), balance.held() + inBatch, balance.requests(), balance.energyWh(),
							balance.oldest()));
					continue;
				}
			}
			if (hold.token() != null && hold.tokens() > 0 && capped(person, hold.token())) {
				if (locked.add(person)) {
					lock(person);
				}
				var capped = capBalance(person, hold.token(), pending.now());
				long appInBatch = addedByApp.getOrDefault(hold.token(), 0L);
				if (capped != null && capped.used() + capped.held() + appInBatch + hold.tokens() > capped.cap()) {
					outcomes.add(new CapBalance(capped.cap(), capped.used(), capped.held() + appInBatch, capped.oldest()));
					continue;
				}
				addedByApp.merge(hold.token(), hold.tokens(), Long::sum);
			}
			added.merge(person, hold.tokens(), Long::sum);
			accepted.add(pending);
			outcomes.add(RESERVED);
		}
		if (!accepted.isEmpty()) {
			jdbc.batchUpdate("""
					insert into ledger_hold (request_id, person_id, token_id, model, workload, tokens, node, at)
					values (?, ?, ?, ?, ?, ?, ?, ?)""", accepted, accepted.size(), (statement, pending) -> {
				var hold = pending.hold();
				statement.setString(1, hold.requestId());
				statement.setObject(2, hold.person());
				statement.setObject(3, hold.token());
				statement.setString(4, hold.model());
				statement.setString(5, hold.workload());
				statement.setLong(6, hold.tokens());
				statement.setString(7, hold.node());
				statement.setTimestamp(8, Timestamp.from(pending.now()));
			});
		}
		return outcomes;
	}

	/** Takes the person's lock (creating their account row if need be) without reading the balance. */
	private void lock(UUID person) {
		db.sql("insert into plan_account (person_id) values (:person) on conflict do nothing")
			.param("person", person)
			.update();
		db.sql("select person_id from plan_account where person_id = :person for update")
			.param("person", person)
			.query(UUID.class)
			.single();
	}

	/**
	 * On a graceful stop the writer finishes its batch, settles what is queued and refuses the
	 * reservations still waiting; waits for it, so nothing is left when the database goes away.
	 */
	@jakarta.annotation.PreDestroy
	void stopWriting() throws InterruptedException {
		running = false;
		writer.interrupt();
		writer.join(java.time.Duration.ofSeconds(10));
	}

	/** What an app may spend per {@link #CAP_WINDOW}, has spent and holds. */
	record CapBalance(long cap, long used, long held, @Nullable Instant oldest) {
	}

	/** Thrown inside the reserving transaction, so it rolls back; carries the app's balance. */
	static final class CapReached extends RuntimeException {

		final CapBalance balance;

		CapReached(CapBalance balance) {
			super(null, null, false, false);
			this.balance = balance;
		}
	}

	/** The window an app's cap covers: a rolling month. */
	static final Duration CAP_WINDOW = Duration.ofDays(30);

	/** The cap on an app and its use; {@code null} when it has none. Call with the person's lock held. */
	private @Nullable CapBalance capBalance(UUID person, UUID source, Instant now) {
		var cap = db.sql("select token_budget from source_cap where person_id = :person and source_id = :source")
			.param("person", person)
			.param("source", source)
			.query(Long.class)
			.optional();
		if (cap.isEmpty()) {
			return null;
		}
		// One statement, so one snapshot: a settlement moving tokens from held to used is seen whole or not at all.
		var used = db.sql("""
				select coalesce(sum(tokens), 0), min(starts_at),
				  (select coalesce(sum(h.tokens), 0) from ledger_hold h where h.person_id = :person and h.token_id = :source)
				from source_bucket where person_id = :person and source_id = :source and starts_at > :since""")
			.param("person", person)
			.param("source", source)
			.param("since", Timestamp.from(now.minus(CAP_WINDOW).minus(Duration.ofHours(1))))
			.query((rs, row) -> new Object[] { rs.getLong(1), rs.getTimestamp(2), rs.getLong(3) })
			.single();
		var oldest = (Timestamp) used[1];
		return new CapBalance(cap.get(), (Long) used[0], (Long) used[2],
				oldest == null ? null : oldest.toInstant().plus(Duration.ofHours(1)).plus(CAP_WINDOW));
	}

	/**
	 * Whether the person capped what this app (or token) may spend: most never do, and their
	 * requests then skip the cap's lock and queries. Known for a few seconds; a cap set here is
	 * known at once, one set on another replica when its broadcast arrives (within
	 * {@link #CAP_KNOWN_FOR} if it is lost).
	 */
	private boolean capped(UUID person, UUID source) {
		return Boolean.TRUE.equals(cappedSources.get(List.of(person, source), key -> db
			.sql("select count(*) from source_cap where person_id = :person and source_id = :source")
			.param("person", person)
			.param("source", source)
			.query(Long.class)
			.single() > 0));
	}

	static final Duration CAP_KNOWN_FOR = Duration.ofSeconds(5);

	private final com.github.benmanes.caffeine.cache.Cache<List<UUID>, Boolean> cappedSources = com.github.benmanes.caffeine.cache.Caffeine
		.newBuilder()
		.expireAfterWrite(CAP_KNOWN_FOR)
		.maximumSize(100_000)
		.build();

	/** Sets (or, with {@code null}, lifts) the cap on what one app may spend. */
	void cap(UUID person, UUID source, @Nullable Long tokens) {
		transactions.executeWithoutResult(status -> {
			db.sql("delete from source_cap where person_id = :person and source_id = :source")
				.param("person", person)
				.param("source", source)
				.update();
			if (tokens != null) {
				db.sql("insert into source_cap (person_id, source_id, token_budget) values (:person, :source, :tokens)")
					.param("person", person)
					.param("source", source)
					.param("tokens", tokens)
					.update();
			}
		});
		// After the commit, so no reservation in between can bring the old answer back; on every replica.
		broadcasts.publish(CAP_CHANGED, person + " " + source);
	}

	/** Each capped app of a person: its cap. */
	java.util.Map<UUID, Long> caps(UUID person) {
		var caps = new java.util.HashMap<UUID, Long>();
		db.sql("select source_id, token_budget from source_cap where person_id = :person")
			.param("person", person)
			.query(rs -> {
				caps.put(rs.getObject(1, UUID.class), rs.getLong(2));
			});
		return caps;
	}

	/** A request's real usage, to settle its reservation with. */
	record Settlement(String requestId, String backend, long promptTokens, long completionTokens, double energyWh,
			String outcome, String node, String requester, @Nullable Double gridIntensity) {

		Settlement(String requestId, String backend, long promptTokens, long completionTokens, double energyWh,
				String outcome, String node) {
			this(requestId, backend, promptTokens, completionTokens, energyWh, outcome, node, "", null);
		}
	}

	private final MediaLedger media;

	/** A request's energy as measured, to replace its estimate once it is settled. */
	record Measured(String requestId, double energyWh) {
	}

	/**
	 * Queues a measurement. It comes a scrape after the request ended, so behind its settlement in
	 * this node's queue; a measurement for a request this ledger never settled (media work) goes
	 * to the media ledger.
	 */
	void measuredLater(Measured measured) {
		queue.add(measured);
	}

	/**
	 * Settles a reservation: charges the real usage (all of it, see {@link #charge}) and releases
	 * the hold. Does nothing if the request was never reserved or is settled already.
	 * @return whether this call settled it
	 */
	boolean settle(Settlement settlement, Instant now) {
		return Objects.requireNonNull(transactions.execute(status -> settleTogether(List.of(settlement), now))) == 1;
	}

	/**
	 * Settles many in one transaction (one commit instead of one each); if any fails, each is
	 * settled on its own so the others are not lost with it.
	 * @return how many this call settled
	 */
	int settleAll(List<Settlement> batch, Instant now) {
		// Persons locked in the reserver's order (their ids as text), so the two never wait on each other.
		var settlements = new java.util.ArrayList<>(batch);
		settlements.sort(java.util.Comparator.comparing(Settlement::requester));
		try {
			return Objects.requireNonNull(transactions.execute(status -> settleTogether(settlements, now)));
		}
		catch (RuntimeException batchFailed) {
			int settled = 0;
			for (var settlement : settlements) {
				settled += settle(settlement, now) ? 1 : 0;
			}
			return settled;
		}
	}

	/**
	 * Settles a batch within the caller's transaction with a few statements for the whole batch
	 * rather than several for each: the holds read at once (one settled already has none), each
	 * person locked once (in the reserver's order), the entries inserted and the holds deleted in
	 * one batch each, and each person's held total, hourly bucket and app buckets updated once.
	 * @return how many it settled
	 */
	private int settleTogether(List<Settlement> batch, Instant now) {
		var byRequest = new java.util.LinkedHashMap<String, Settlement>();
		batch.forEach(settlement -> byRequest.putIfAbsent(settlement.requestId(), settlement));
		var holds = new java.util.HashMap<String, Hold>();
		for (var ids : chunks(List.copyOf(byRequest.keySet()))) {
			db.sql("""
					select request_id, person_id, token_id, model, workload, tokens from ledger_hold
					where request_id in (:requests)""")
				.param("requests", ids)
				.query(rs -> {
					var id = rs.getString(1);
					holds.put(id, new Hold(id, rs.getObject(2, UUID.class), rs.getObject(3, UUID.class), rs.getString(4),
							rs.getString(5), rs.getLong(6), byRequest.get(id).node()));
				});
		}
		if (holds.isEmpty()) {
			return 0;
		}
		var entries = new java.util.ArrayList<Object[]>();
		// Bucket rows updated in one order (ids as text) everywhere, so two replicas' batches do not deadlock.
		var buckets = new java.util.TreeMap<UUID, double[]>(java.util.Comparator.comparing(UUID::toString));
		var appBuckets = new java.util.TreeMap<List<UUID>, long[]>(java.util.Comparator.comparing(List::toString));
		for (var settlement : byRequest.values()) {
			var hold = holds.get(settlement.requestId());
			if (hold == null) {
				continue;
			}
			long charged = charge(hold, settlement);
			entries.add(new Object[] { settlement.requestId(), hold.person(), hold.token(), hold.model(), settlement.backend(),
					hold.workload(), charged, hold.tokens(), settlement.promptTokens(), settlement.completionTokens(), settlement.energyWh(),
					settlement.outcome(), settlement.node(), Timestamp.from(now), settlement.gridIntensity() });
			// A request refused for want of capacity never ran: it releases its hold but is not a request.
			var bucket = buckets.computeIfAbsent(hold.person(), p -> new double[3]);
			bucket[0] += charged;
			bucket[1] += "refused".equals(settlement.outcome()) ? 0 : 1;
			bucket[2] += settlement.energyWh();
			if (hold.token() != null) {
				appBuckets.computeIfAbsent(List.of(hold.person(), hold.token()), k -> new long[1])[0] += charged;
			}
		}
		if (entries.isEmpty()) {
			return 0;
		}
		jdbc.batchUpdate("""
				insert into ledger_entry (request_id, kind, person_id, token_id, model, backend, workload, tokens, reserved,
				  prompt_tokens, completion_tokens, energy_wh, outcome, node, at, grid_g_per_kwh)
				values (?, 'settle', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", entries);
		jdbc.batchUpdate("delete from ledger_hold where request_id = ?",
				entries.stream().map(entry -> new Object[] { entry[0] }).toList());
		var hour = Timestamp.from(now.truncatedTo(ChronoUnit.HOURS));
		var personRows = new java.util.ArrayList<Object[]>();
		buckets.forEach((person, sums) -> personRows.add(new Object[] { (long) sums[0], (long) sums[1], sums[2], person, hour }));
		addMissing(personRows, """
				update usage_bucket set tokens = tokens + ?, requests = requests + ?, energy_wh = energy_wh + ?
				where person_id = ? and starts_at = ?""", """
				insert into usage_bucket (tokens, requests, energy_wh, person_id, starts_at) values (?, ?, ?, ?, ?)""");
		var appRows = new java.util.ArrayList<Object[]>();
		appBuckets.forEach((key, tokens) -> appRows.add(new Object[] { tokens[0], key.get(0), key.get(1), hour }));
		addMissing(appRows, """
				update source_bucket set tokens = tokens + ? where person_id = ? and source_id = ? and starts_at = ?""", """
				insert into source_bucket (tokens, person_id, source_id, starts_at) values (?, ?, ?, ?)""");
		return entries.size();
	}

	/** The person's settled requests' energy, by request id. */
	java.util.Map<String, RequestEnergy> energy(UUID person, List<String> requestIds) {
		var result = new java.util.HashMap<String, RequestEnergy>();
		for (var ids : chunks(requestIds)) {
			if (ids.isEmpty()) {
				continue;
			}
			db.sql("""
					select request_id, energy_wh, energy_measured, grid_g_per_kwh from ledger_entry
					where person_id = :person and kind = 'settle' and request_id in (:ids)""")
				.param("person", person)
				.param("ids", ids)
				.query(rs -> {
					double wh = rs.getDouble(2);
					var grid = rs.getObject(4, Double.class);
					result.put(rs.getString(1), new RequestEnergy(wh, rs.getBoolean(3), grid == null ? null : wh * grid / 1000));
				});
		}
		return result;
	}

	/**
	 * Replaces settled requests' estimated energy with the measured, in their entries and their
	 * people's hourly buckets; what is not a settled request here is media work's.
	 */
	private void measure(List<Measured> batch) {
		for (var measured : batch) {
			var entry = db.sql("""
					select person_id, at, energy_wh from ledger_entry
					where request_id = :id and kind = 'settle' and energy_measured = false""")
				.param("id", measured.requestId())
				.query((rs, row) -> new Object[] { rs.getObject(1, UUID.class), rs.getTimestamp(2).toInstant(), rs.getDouble(3) })
				.optional();
			if (entry.isEmpty()) {
				media.measured(measured.requestId(), measured.energyWh());
				continue;
			}
			var row = entry.get();
			db.sql("update ledger_entry set energy_wh = :wh, energy_measured = true where request_id = :id and kind = 'settle'")
				.param("wh", measured.energyWh())
				.param("id", measured.requestId())
				.update();
			db.sql("update usage_bucket set energy_wh = energy_wh + :delta where person_id = :person and starts_at = :hour")
				.param("delta", measured.energyWh() - (double) row[2])
				.param("person", row[0])
				.param("hour", ((Instant) row[1]).truncatedTo(ChronoUnit.HOURS).atOffset(java.time.ZoneOffset.UTC))
				.update();
		}
	}

	/**
	 * Adds to counters in one batch of updates, then inserts in one batch the rows that were not
	 * there yet; {@code insert} takes the same parameters in the same order as {@code update}.
	 */
	private void addMissing(List<Object[]> rows, String update, String insert) {
		if (rows.isEmpty()) {
			return;
		}
		int[] updated = jdbc.batchUpdate(update, rows);
		var missing = new java.util.ArrayList<Object[]>();
		for (int i = 0; i < updated.length; i++) {
			if (updated[i] == 0) {
				missing.add(rows.get(i));
			}
		}
		if (!missing.isEmpty()) {
			jdbc.batchUpdate(insert, missing);
		}
	}

	/** At most 500 ids to an {@code in (…)} list. */
	private static List<List<String>> chunks(List<String> ids) {
		var chunks = new java.util.ArrayList<List<String>>();
		for (int i = 0; i < ids.size(); i += 500) {
			chunks.add(ids.subList(i, Math.min(ids.size(), i + 500)));
		}
		return chunks;
	}

	/**
	 * What the backend reported, exactly: never capped at the reservation (an overshoot is counted
	 * and logged). A hold of nothing is a plan's free fallback model.
	 */
	private long charge(Hold hold, Settlement settlement) {
		long used = settlement.promptTokens() + settlement.completionTokens();
		if (hold.tokens() > 0 && used > hold.tokens()) {
			overshoot.increment(used - hold.tokens());
			log.warn("Request {} used {} tokens, {} more than it reserved; charged in full", settlement.requestId(), used,
					used - hold.tokens());
		}
		return hold.tokens() == 0 ? 0 : used;
	}

	/** Requests reserved on {@code node} before {@code before} and never settled. */
	List<String> unsettled(String node, Instant before) {
		return db.sql("""
				select request_id from ledger_hold where node = :node and at < :before""")
			.param("node", node)
			.param("before", Timestamp.from(before))
			.query(String.class)
			.list();
	}

	/** Erases every record of the person's usage (account deletion). */
	void erase(UUID person) {
		for (var table : List.of("ledger_hold", "ledger_entry", "usage_bucket", "source_cap", "source_bucket", "plan_account",
				"plan_override")) {
			db.sql("delete from " + table + " where person_id = :person").param("person", person).update();
		}
	}

	/** One settled request, as the usage page and the CSV export show it, with what it reserved. */
	record Settled(Instant at, String requestId, @Nullable UUID token, String model, String backend, String workload,
			long promptTokens, long completionTokens, long charged, double energyWh, String outcome, long reserved,
			boolean energyMeasured, @Nullable Double gridIntensity) {
	}

	/** A person's settled requests since {@code since}, newest first. */
	List<Settled> settled(UUID person, Instant since) {
		return db.sql("""
				select at, request_id, token_id, model, backend, workload, prompt_tokens, completion_tokens, tokens,
				  energy_wh, outcome, reserved, energy_measured, grid_g_per_kwh
				from ledger_entry where person_id = :person and kind = 'settle' and at > :since
				order by at desc""")
			.param("person", person)
			.param("since", Timestamp.from(since))
			.query((rs, row) -> new Settled(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getObject(3, UUID.class),
					rs.getString(4), rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8), rs.getLong(9),
					rs.getDouble(10), rs.getString(11), rs.getLong(12), rs.getBoolean(13), rs.getObject(14) == null ? null : rs.getDouble(14)))
			.list();
	}

	/**
	 * What the person used in the window and holds now: the hourly buckets overlapping the window
	 * and the open holds, read in one statement, so in one snapshot (a settlement moves tokens from
	 * one to the other in one transaction, and is seen whole or not at all). {@code oldest} is when
	 * the first bucket ends.
	 */
	Balance balance(UUID person, Duration window, Instant now) {
		return db.sql("""
				select coalesce(sum(tokens), 0), coalesce(sum(requests), 0), min(starts_at), coalesce(sum(energy_wh), 0),
				  (select coalesce(sum(h.tokens), 0) from ledger_hold h where h.person_id = :person)
				from usage_bucket
				where person_id = :person and starts_at > :since""")
			.param("person", person)
			.param("since", Timestamp.from(now.minus(window).minus(Duration.ofHours(1))))
			.query((rs, row) -> {
				var oldest = rs.getTimestamp(3);
				return new Balance(rs.getLong(1), rs.getLong(5), rs.getLong(2), rs.getDouble(4),
						oldest == null ? null : oldest.toInstant().plus(Duration.ofHours(1)));
			})
			.single();
	}

	/** {@link #balance} under the person's lock, which only reservations take. */
	private Balance lockedBalance(UUID person, Duration window, Instant now) {
		lock(person);
		return balance(person, window, now);
	}
}
