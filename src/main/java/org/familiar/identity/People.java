package org.familiar.identity;

import org.jspecify.annotations.Nullable;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Everyone with an account. */
@Repository
class People {

	private final JdbcClient jdbc;

	People(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	record Row(Person person, String passwordHash) {
	}

	void add(Person person, String passwordHash) {
		jdbc.sql("""
				insert into person (id, username, password_hash, admin, plan, created_at)
				values (:id, :username, :hash, :admin, :plan, :created)""")
			.param("id", person.id().value())
			.param("username", person.username())
			.param("hash", passwordHash)
			.param("admin", person.admin())
			.param("plan", person.plan())
			.param("created", utc(person.createdAt()))
			.update();
	}

	boolean isEmpty() {
		return jdbc.sql("select count(*) from person").query(Long.class).single() == 0;
	}

	Optional<Row> byUsername(String username) {
		return jdbc.sql("select * from person where username = :username")
			.param("username", username)
			.query(People::row)
			.optional();
	}

	Optional<Person> byId(PersonId id) {
		return jdbc.sql("select * from person where id = :id")
			.param("id", id.value())
			.query(People::row)
			.optional()
			.map(Row::person);
	}

	List<Person> all() {
		// list(), not stream(): a JdbcClient stream holds its connection until closed.
		return jdbc.sql("select * from person order by username").query(People::row).list().stream().map(Row::person).toList();
	}

	static OffsetDateTime utc(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

	private static Row row(ResultSet rs, int n) throws SQLException {
		var person = new Person(new PersonId(rs.getObject("id", UUID.class)), rs.getString("username"),
				rs.getBoolean("admin"), rs.getString("plan"),
				rs.getObject("created_at", OffsetDateTime.class).toInstant(),
				java.util.Optional.ofNullable(rs.getObject("disabled_at", OffsetDateTime.class)).map(OffsetDateTime::toInstant).orElse(null));
		return new Row(person, rs.getString("password_hash"));
	}

	boolean changePlan(PersonId person, @Nullable String plan) {
		return jdbc.sql("update person set plan = :plan where id = :id").param("plan", plan).param("id", person.value()).update() == 1;
	}

	void signInFailed(String username, Instant at, String from) {
		jdbc.sql("""
				update person set failed_sign_ins = failed_sign_ins + 1, last_failed_sign_in_at = :at,
				  last_failed_sign_in_from = :from where username = :username""")
			.param("at", utc(at))
			.param("from", from.length() > 64 ? from.substring(0, 64) : from)
			.param("username", username)
			.update();
	}

	/** The failed sign-ins recorded for the person, which are then forgotten. */
	Optional<FailedSignIns> takeFailedSignIns(PersonId person) {
		var failed = jdbc.sql("""
				select failed_sign_ins, last_failed_sign_in_at, last_failed_sign_in_from from person
				where id = :id and failed_sign_ins > 0""")
			.param("id", person.value())
			.query((rs, n) -> new FailedSignIns(rs.getInt(1), rs.getObject(2, OffsetDateTime.class).toInstant(),
					rs.getString(3)))
			.optional();
		failed.ifPresent(f -> jdbc.sql("update person set failed_sign_ins = 0 where id = :id")
			.param("id", person.value())
			.update());
		return failed;
	}

	boolean delete(PersonId person) {
		return jdbc.sql("delete from person where id = :id").param("id", person.value()).update() == 1;
	}

	boolean setAdmin(PersonId person, boolean admin) {
		return jdbc.sql("update person set admin = :admin where id = :id").param("admin", admin).param("id", person.value()).update() == 1;
	}

	boolean setDisabled(PersonId person, @Nullable Instant at) {
		return jdbc.sql("update person set disabled_at = :at where id = :id")
			.param("at", at == null ? null : utc(at))
			.param("id", person.value())
			.update() == 1;
	}

	boolean setPasswordHash(PersonId person, String hash) {
		return jdbc.sql("update person set password_hash = :hash where id = :id").param("hash", hash).param("id", person.value()).update() == 1;
	}

	Optional<Preferences> preferences(PersonId person) {
		return jdbc.sql("select theme, language, default_model from person_preference where person_id = :id")
			.param("id", person.value())
			.query((rs, n) -> new Preferences(rs.getString(1), rs.getString(2), rs.getString(3)))
			.optional();
	}

	void savePreferences(PersonId person, Preferences preferences, Instant now) {
		int updated = jdbc.sql("""
				update person_preference set theme = :theme, language = :language, default_model = :model, updated_at = :now
				where person_id = :id""")
			.param("theme", preferences.theme())
			.param("language", preferences.language())
			.param("model", preferences.defaultModel())
			.param("now", utc(now))
			.param("id", person.value())
			.update();
		if (updated == 0) {
			jdbc.sql("""
					insert into person_preference (person_id, theme, language, default_model, updated_at)
					values (:id, :theme, :language, :model, :now)""")
				.param("theme", preferences.theme())
				.param("language", preferences.language())
				.param("model", preferences.defaultModel())
				.param("now", utc(now))
				.param("id", person.value())
				.update();
		}
	}
}
