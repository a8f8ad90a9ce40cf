package org.familiar.assistant.internal;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Responses kept for {@code previous_response_id}, each readable only by the person it belongs to. */
@Repository
public class StoredResponses {

	private final JdbcClient db;

	StoredResponses(JdbcClient db) {
		this.db = db;
	}

	/** One kept response: the conversation so far as input items, and the response object (both JSON). */
	public record Stored(String id, String model, String items, String response, Instant createdAt) {
	}

	public void save(UUID person, Stored stored) {
		db.sql("""
				insert into api_response (id, person_id, model, items, response, created_at)
				values (:id, :person, :model, :items, :response, :created)""")
			.param("id", stored.id())
			.param("person", person)
			.param("model", stored.model())
			.param("items", stored.items())
			.param("response", stored.response())
			.param("created", stored.createdAt().atOffset(ZoneOffset.UTC))
			.update();
	}

	public Optional<Stored> find(UUID person, String id) {
		return db.sql("select id, model, items, response, created_at from api_response where id = :id and person_id = :person")
			.param("id", id)
			.param("person", person)
			.query((rs, row) -> new Stored(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
					rs.getObject(5, java.time.OffsetDateTime.class).toInstant()))
			.optional();
	}

	public boolean delete(UUID person, String id) {
		return db.sql("delete from api_response where id = :id and person_id = :person")
			.param("id", id)
			.param("person", person)
			.update() > 0;
	}

	public List<Stored> all(UUID person) {
		return db.sql("select id, model, items, response, created_at from api_response where person_id = :person order by created_at")
			.param("person", person)
			.query((rs, row) -> new Stored(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
					rs.getObject(5, java.time.OffsetDateTime.class).toInstant()))
			.list();
	}

	public void deleteAll(UUID person) {
		db.sql("delete from api_response where person_id = :person").param("person", person).update();
	}
}
