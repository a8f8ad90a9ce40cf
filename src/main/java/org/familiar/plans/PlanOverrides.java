package org.familiar.plans;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

/** Per-person token budgets that replace the plan's, set by administrators. */
@Repository
class PlanOverrides {

	private final JdbcClient db;

	PlanOverrides(JdbcClient db) {
		this.db = db;
	}

	Optional<Long> budget(UUID person) {
		return db.sql("select token_budget from plan_override where person_id = :person")
			.param("person", person)
			.query(Long.class)
			.optional();
	}

	Map<UUID, Long> all() {
		var all = new java.util.HashMap<UUID, Long>();
		db.sql("select person_id, token_budget from plan_override").query(rs -> {
			all.put(rs.getObject(1, UUID.class), rs.getLong(2));
		});
		return all;
	}

	@Transactional
	void set(UUID person, @Nullable Long budget) {
		db.sql("delete from plan_override where person_id = :person").param("person", person).update();
		if (budget != null) {
			db.sql("insert into plan_override (person_id, token_budget) values (:person, :budget)")
				.param("person", person)
				.param("budget", budget)
				.update();
		}
	}
}
