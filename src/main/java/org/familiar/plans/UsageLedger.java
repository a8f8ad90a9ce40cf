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
 * The ledger: reservations and settlements, appended, one of each per request at most.
 *
 * <p>Exactness under concurrency comes from one lock: every reservation and settlement of a person
 * runs in a transaction that first locks the person's {@code plan_account} row
 * ({@code SELECT … FOR UPDATE}), which both H2 and PostgreSQL honour across connections and
 * replicas. Under that lock the balance (settled usage in the window plus what is held) is read,
 * checked and changed; nothing else changes it. Settling twice is impossible: the settle entry's
 * primary key is (request, kind), and a second settle finds it there and does nothing.
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

	private final org.springframework.jdbc.core.JdbcTemplate jdbc;

	UsageLedger(JdbcClient db, org.springframework.jdbc.core.JdbcTemplate jdbc, TransactionTemplate transactions,
			MeterRegistry meters) {
		this.db = db;
		this.jdbc = jdbc;
		this.writer = Thread.ofVirtual().name("ledger-writer").unstarted(this::writeQueued);
		this.transactions = transactions;
		this.overshoot = Counter.builder("familiar.ledger.overshoot")
			.baseUnit("tokens")
			.description("Tokens a request used beyond its reservation (charged all the same)")
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
	 * person's balance under that person's lock.
	 * @return {@code null} when it was reserved, else the balance that refused it
	 * @throws CapReached if the hold's app is over the cap the person set for it
	 */
	@Nullable Balance reserve(Hold hold, long budget, Duration window, Instant now) {
		var pending = new Pending(hold, budget, window, now);
		if (!running) {
			throw new IllegalStateException("The ledger is shutting down");
		}
		queue.add(pending);
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

	/** A hold waiting for the writer; completed with {@link #RESERVED}, a refusing {@link Balance} or a {@link CapBalance}. */
	private record Pending(Hold hold, long budget, Duration window, Instant now,
			java.util.concurrent.CompletableFuture<Object> done) {

		Pending(Hold hold, long budget, Duration window, Instant now) {
			this(hold, budget, window, now, new java.util.concurrent.CompletableFuture<>());
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
	 * The ledger's one writer on this node: whatever has queued up — reservations waiting for
	 * their answer and settlements — goes into one transaction, so a busy server commits once per
	 * batch, and reservations and settlements never wait on each other's locks here.
	 */
	private void writeQueued() {
		var batch = new java.util.ArrayList<Object>(WRITE_BATCH);
		while (running) {
			try {
				batch.add(queue.take());
			}
			catch (InterruptedException stopping) {
				break;
			}
			queue.drainTo(batch, WRITE_BATCH - 1);
			write(batch);
			batch.clear();
		}
		// Stopping: what ran is settled; what has not started yet is refused.
		queue.drainTo(batch);
		batch.forEach(item -> {
			if (item instanceof Pending pending) {
				pending.done.completeExceptionally(new IllegalStateException("The ledger is shutting down"));
			}
		});
		var settlements = batch.stream().filter(Settlement.class::isInstance).map(Settlement.class::cast).toList();
		if (!settlements.isEmpty()) {
			settleAll(settlements, Instant.now());
		}
	}

	private void write(List<Object> batch) {
		var holds = new java.util.ArrayList<Pending>();
		var settlements = new java.util.ArrayList<Settlement>();
		for (var item : batch) {
			if (item instanceof Pending pending) {
				holds.add(pending);
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
				settleTogether(settlements, Instant.now());
				return reserveHere(holds);
			});
		}
		catch (RuntimeException batchFailed) {
			log.warn("A ledger batch of {} reservations and {} settlements failed ({}); writing them one by one",
					holds.size(), settlements.size(), batchFailed.getMessage());
			// One at a time, so one that cannot be written does not fail the others.
			for (var settlement : settlements) {
				try {
					settle(settlement, Instant.now());
				}
				catch (RuntimeException failed) {
					log.error("Could not settle {}; it is settled when this node restarts", settlement.requestId(), failed);
				}
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
	}

	/**
	 * Checks and writes a batch of holds within the caller's transaction: each person's balance is
	 * read once under their lock and each hold checked against it plus what the batch already
	 * holds for them; the accepted holds are inserted in one batch and each person's held total
	 * updated once. An unlimited plan without an app cap needs no balance and takes no lock before
	 * its update.
	 */
	private List<Object> reserveHere(List<Pending> batch) {
		var outcomes = new java.util.ArrayList<Object>(batch.size());
		var balances = new java.util.HashMap<UUID, Balance>();
		var locked = new java.util.HashSet<UUID>();
		var added = new java.util.LinkedHashMap<UUID, Long>();
		var addedByApp = new java.util.HashMap<UUID, Long>();
		var accepted = new java.util.ArrayList<Pending>(batch.size());
		for (var pending : batch) {
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
					insert into ledger_entry (request_id, kind, person_id, token_id, model, workload, tokens, node, at)
					values (?, 'reserve', ?, ?, ?, ?, ?, ?, ?)""", accepted, accepted.size(), (statement, pending) -> {
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
		added.forEach((person, tokens) -> {
			int updated = db.sql("update plan_account set held_tokens = held_tokens + :tokens where person_id = :person")
				.param("tokens", tokens)
				.param("person", person)
				.update();
			if (updated == 0) {
				db.sql("insert into plan_account (person_id, held_tokens) values (:person, :tokens)")
					.param("person", person)
					.param("tokens", tokens)
					.update();
			}
		});
		return outcomes;
	}

	/** Takes the person's lock (creating their account row if need be) without reading the balance. */
	private void lock(UUID person) {
		db.sql("insert into plan_account (person_id, held_tokens) values (:person, 0) on conflict do nothing")
			.param("person", person)
			.update();
		db.sql("select held_tokens from plan_account where person_id = :person for update")
			.param("person", person)
			.query(Long.class)
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
		var used = db.sql("""
				select coalesce(sum(tokens), 0), min(starts_at) from source_bucket
				where person_id = :person and source_id = :source and starts_at > :since""")
			.param("person", person)
			.param("source", source)
			.param("since", Timestamp.from(now.minus(CAP_WINDOW).minus(Duration.ofHours(1))))
			.query((rs, row) -> new Object[] { rs.getLong(1), rs.getTimestamp(2) })
			.single();
		long held = db.sql("""
				select coalesce(sum(r.tokens), 0) from ledger_entry r
				where r.person_id = :person and r.token_id = :source and r.kind = 'reserve'
				  and not exists (select 1 from ledger_entry s where s.request_id = r.request_id and s.kind = 'settle')""")
			.param("person", person)
			.param("source", source)
			.query(Long.class)
			.single();
		var oldest = (Timestamp) used[1];
		return new CapBalance(cap.get(), (Long) used[0], held,
				oldest == null ? null : oldest.toInstant().plus(Duration.ofHours(1)).plus(CAP_WINDOW));
	}

	/**
	 * Whether the person capped what this app (or token) may spend: most never do, and their
	 * requests then skip the cap's lock and queries. Known for a few seconds; a cap set here is
	 * known at once, one set on another replica within {@link #CAP_KNOWN_FOR}.
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
		// After the commit, so no reservation in between can bring the old answer back.
		cappedSources.invalidate(List.of(person, source));
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
			String outcome, String node, String requester) {

		Settlement(String requestId, String backend, long promptTokens, long completionTokens, double energyWh,
				String outcome, String node) {
			this(requestId, backend, promptTokens, completionTokens, energyWh, outcome, node, "");
		}
	}

	/**
	 * Settles a reservation: charges the real usage (never more than was reserved) and releases
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
	 * rather than several for each: the reservations read at once, each person locked once (in
	 * the reserver's order), the ones already settled skipped, the settle entries inserted in one
	 * batch, and each person's held total, hourly bucket and app buckets updated once.
	 * @return how many it settled
	 */
	private int settleTogether(List<Settlement> batch, Instant now) {
		var byRequest = new java.util.LinkedHashMap<String, Settlement>();
		batch.forEach(settlement -> byRequest.putIfAbsent(settlement.requestId(), settlement));
		var holds = new java.util.HashMap<String, Hold>();
		for (var ids : chunks(List.copyOf(byRequest.keySet()))) {
			db.sql("""
					select request_id, person_id, token_id, model, workload, tokens from ledger_entry
					where kind = 'reserve' and request_id in (:requests)""")
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
		holds.values().stream().map(Hold::person).distinct().sorted(java.util.Comparator.comparing(UUID::toString))
			.forEach(person -> db.sql("select held_tokens from plan_account where person_id = :person for update")
				.param("person", person)
				.query(Long.class)
				.optional());
		var settledAlready = new java.util.HashSet<String>();
		for (var ids : chunks(List.copyOf(holds.keySet()))) {
			settledAlready.addAll(db.sql("select request_id from ledger_entry where kind = 'settle' and request_id in (:requests)")
				.param("requests", ids)
				.query(String.class)
				.list());
		}
		var entries = new java.util.ArrayList<Object[]>();
		var released = new java.util.TreeMap<String, long[]>();
		var buckets = new java.util.LinkedHashMap<UUID, double[]>();
		var appBuckets = new java.util.LinkedHashMap<List<UUID>, long[]>();
		for (var settlement : byRequest.values()) {
			var hold = holds.get(settlement.requestId());
			if (hold == null || !settledAlready.add(settlement.requestId())) {
				continue;
			}
			long charged = charge(hold, settlement);
			entries.add(new Object[] { settlement.requestId(), hold.person(), hold.token(), hold.model(), settlement.backend(),
					hold.workload(), charged, settlement.promptTokens(), settlement.completionTokens(), settlement.energyWh(),
					settlement.outcome(), settlement.node(), Timestamp.from(now) });
			released.computeIfAbsent(hold.person().toString(), p -> new long[1])[0] += hold.tokens();
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
				insert into ledger_entry (request_id, kind, person_id, token_id, model, backend, workload, tokens,
				  prompt_tokens, completion_tokens, energy_wh, outcome, node, at)
				values (?, 'settle', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", entries);
		released.forEach((person, tokens) -> db.sql("update plan_account set held_tokens = held_tokens - :tokens where person_id = :person")
			.param("tokens", tokens[0])
			.param("person", UUID.fromString(person))
			.update());
		var hour = Timestamp.from(now.truncatedTo(ChronoUnit.HOURS));
		buckets.forEach((person, sums) -> {
			int added = db.sql("""
					update usage_bucket set tokens = tokens + :tokens, requests = requests + :counted, energy_wh = energy_wh + :energy
					where person_id = :person and starts_at = :hour""")
				.param("tokens", (long) sums[0])
				.param("counted", (long) sums[1])
				.param("energy", sums[2])
				.param("person", person)
				.param("hour", hour)
				.update();
			if (added == 0) {
				db.sql("""
						insert into usage_bucket (person_id, starts_at, tokens, requests, energy_wh)
						values (:person, :hour, :tokens, :counted, :energy)""")
					.param("tokens", (long) sums[0])
					.param("counted", (long) sums[1])
					.param("energy", sums[2])
					.param("person", person)
					.param("hour", hour)
					.update();
			}
		});
		appBuckets.forEach((key, tokens) -> {
			int bucketed = db.sql("""
					update source_bucket set tokens = tokens + :tokens
					where person_id = :person and source_id = :source and starts_at = :hour""")
				.param("tokens", tokens[0])
				.param("person", key.get(0))
				.param("source", key.get(1))
				.param("hour", hour)
				.update();
			if (bucketed == 0) {
				db.sql("""
						insert into source_bucket (person_id, source_id, starts_at, tokens)
						values (:person, :source, :hour, :tokens)""")
					.param("person", key.get(0))
					.param("source", key.get(1))
					.param("hour", hour)
					.param("tokens", tokens[0])
					.update();
			}
		});
		return entries.size();
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
				select r.request_id from ledger_entry r
				where r.kind = 'reserve' and r.node = :node and r.at < :before
				  and not exists (select 1 from ledger_entry s where s.request_id = r.request_id and s.kind = 'settle')""")
			.param("node", node)
			.param("before", Timestamp.from(before))
			.query(String.class)
			.list();
	}

	/** Erases every record of the person's usage (account deletion). */
	void erase(UUID person) {
		for (var table : List.of("ledger_entry", "usage_bucket", "source_cap", "source_bucket", "plan_account",
				"plan_override")) {
			db.sql("delete from " + table + " where person_id = :person").param("person", person).update();
		}
	}

	/** One settled request, as the usage page and the CSV export show it. */
	record Settled(Instant at, String requestId, @Nullable UUID token, String model, String backend, String workload,
			long promptTokens, long completionTokens, long charged, double energyWh, String outcome) {
	}

	/** A person's settled requests since {@code since}, newest first. */
	List<Settled> settled(UUID person, Instant since) {
		return db.sql("""
				select at, request_id, token_id, model, backend, workload, prompt_tokens, completion_tokens, tokens,
				  energy_wh, outcome
				from ledger_entry where person_id = :person and kind = 'settle' and at > :since
				order by at desc""")
			.param("person", person)
			.param("since", Timestamp.from(since))
			.query((rs, row) -> new Settled(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getObject(3, UUID.class),
					rs.getString(4), rs.getString(5), rs.getString(6), rs.getLong(7), rs.getLong(8), rs.getLong(9),
					rs.getDouble(10), rs.getString(11)))
			.list();
	}

	Balance balance(UUID person, Duration window, Instant now) {
		var held = db.sql("select held_tokens from plan_account where person_id = :person")
			.param("person", person)
			.query(Long.class)
			.optional()
			.orElse(0L);
		return window(person, window, now, held);
	}

	private Balance lockedBalance(UUID person, Duration window, Instant now) {
		db.sql("insert into plan_account (person_id, held_tokens) values (:person, 0) on conflict do nothing")
			.param("person", person)
			.update();
		long held = db.sql("select held_tokens from plan_account where person_id = :person for update")
			.param("person", person)
			.query(Long.class)
			.single();
		return window(person, window, now, held);
	}

	/** Sums the hourly buckets overlapping the window; {@code oldest} is when the first of them ends. */
	private Balance window(UUID person, Duration window, Instant now, long held) {
		return db.sql("""
				select coalesce(sum(tokens), 0), coalesce(sum(requests), 0), min(starts_at), coalesce(sum(energy_wh), 0)
				from usage_bucket
				where person_id = :person and starts_at > :since""")
			.param("person", person)
			.param("since", Timestamp.from(now.minus(window).minus(Duration.ofHours(1))))
			.query((rs, row) -> {
				var oldest = rs.getTimestamp(3);
				return new Balance(rs.getLong(1), held, rs.getLong(2), rs.getDouble(4),
						oldest == null ? null : oldest.toInstant().plus(Duration.ofHours(1)));
			})
			.single();
	}
}
