package org.familiar.plans;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Images and seconds of video per person: reserved under the person's {@code plan_account} lock
 * (the one the token ledger takes), so two replicas cannot both spend the last image, and
 * settled once. Media work is rare next to chat, so each reservation is its own transaction.
 */
@Component
class MediaLedger {

	private final JdbcClient db;

	private final TransactionTemplate transactions;

	MediaLedger(JdbcClient db, TransactionTemplate transactions) {
		this.db = db;
		this.transactions = transactions;
	}

	/** What a person has reserved or used of a unit in the window. */
	record Balance(long used, long held, @Nullable Instant oldest) {
	}

	/**
	 * Reserves {@code amount} unless it would take the person past {@code budget} (0: no limit).
	 * @return {@code null} when reserved, else the balance that refused it
	 */
	@Nullable Balance reserve(String requestId, UUID person, MediaUnit unit, String model, long amount, long budget,
			Duration window, Instant now, String node) {
		return transactions.execute(status -> {
			db.sql("insert into plan_account (person_id) values (:person) on conflict do nothing").param("person", person).update();
			db.sql("select person_id from plan_account where person_id = :person for update")
				.param("person", person)
				.query(UUID.class)
				.single();
			if (budget > 0) {
				var balance = balance(person, unit, window, now);
				if (balance.used() + balance.held() + amount > budget) {
					return balance;
				}
			}
			db.sql("""
					insert into media_usage (request_id, person_id, unit, model, reserved, at, node)
					values (:id, :person, :unit, :model, :amount, :at, :node)""")
				.param("node", node)
				.param("id", requestId)
				.param("person", person)
				.param("unit", unit.id())
				.param("model", model)
				.param("amount", amount)
				.param("at", Timestamp.from(now))
				.update();
			return null;
		});
	}

	/** Settles a reservation once; a second settlement of the same request changes nothing. */
	boolean settle(String requestId, String backend, long used, double energyWh, String outcome, Instant now) {
		return db.sql("""
				update media_usage set used = :used, backend = :backend, outcome = :outcome, settled_at = :now,
				  energy_wh = case when energy_measured then energy_wh else :wh end
				where request_id = :id and settled_at is null""")
			.param("used", used)
			.param("backend", backend)
			.param("wh", energyWh)
			.param("outcome", outcome)
			.param("now", Timestamp.from(now))
			.param("id", requestId)
			.update() == 1;
	}

	Balance balance(UUID person, MediaUnit unit, Duration window, Instant now) {
		return db.sql("""
				select coalesce(sum(case when settled_at is null then 0 else used end), 0),
				       coalesce(sum(case when settled_at is null then reserved else 0 end), 0),
				       min(at)
				from media_usage where person_id = :person and unit = :unit and at > :since""")
			.param("person", person)
			.param("unit", unit.id())
			.param("since", Timestamp.from(now.minus(window)))
			.query((rs, n) -> new Balance(rs.getLong(1), rs.getLong(2),
					rs.getTimestamp(3) == null ? null : rs.getTimestamp(3).toInstant()))
			.single();
	}

	/** Media work's energy as measured, in place of its estimate (which a later settlement keeps out). */
	void measured(String requestId, double energyWh) {
		db.sql("update media_usage set energy_wh = :wh, energy_measured = true where request_id = :id")
			.param("wh", energyWh)
			.param("id", requestId)
			.update();
	}

	/** Energy of settled media work in the window. */
	double energyWh(UUID person, Duration window, Instant now) {
		return db.sql("select coalesce(sum(energy_wh), 0) from media_usage where person_id = :person and at > :since")
			.param("person", person)
			.param("since", Timestamp.from(now.minus(window)))
			.query(Double.class)
			.single();
	}

	/** Reservations {@code node} made before {@code before} and never settled. */
	java.util.List<String> unsettled(String node, Instant before) {
		return db.sql("select request_id from media_usage where node = :node and settled_at is null and at < :before")
			.param("node", node)
			.param("before", Timestamp.from(before))
			.query(String.class)
			.list();
	}

	void erase(UUID person) {
		db.sql("delete from media_usage where person_id = :person").param("person", person).update();
	}
}
