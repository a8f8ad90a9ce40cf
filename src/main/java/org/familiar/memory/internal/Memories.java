package org.familiar.memory.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.familiar.identity.PersonId;
import org.familiar.memory.Memory;
import org.familiar.memory.MemoryId;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemorySource;
import org.familiar.memory.Personality;
import org.jspecify.annotations.Nullable;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * People's memories, feedback and memory settings. Every statement names the person, so nobody
 * reads or changes another's memories.
 */
@Repository
public class Memories {

	private final JdbcClient jdbc;

	private final TransactionTemplate separately;

	Memories(JdbcClient jdbc, PlatformTransactionManager transactions) {
		this.jdbc = jdbc;
		this.separately = new TransactionTemplate(transactions);
		this.separately.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
	}

	/** A person's memory settings and the version of their memories. */
	public record Book(long version, boolean paused, Personality personality, @Nullable Instant interviewedAt) {

		static final Book EMPTY = new Book(0, false, Personality.DEFAULT, null);
	}

	public Book book(PersonId person) {
		return jdbc.sql("select * from memory_book where person_id = :person")
			.param("person", person.value())
			.query((rs, n) -> new Book(rs.getLong("version"), rs.getBoolean("paused"),
					new Personality(Personality.Preset.of(rs.getString("preset")), rs.getInt("verbosity"),
							rs.getInt("warmth"), rs.getInt("humour")),
					instant(rs, "interviewed_at")))
			.optional()
			.orElse(Book.EMPTY);
	}

	/** Makes sure the person's book row exists, in a transaction of its own (a duplicate would spoil the caller's). */
	public void open(PersonId person) {
		if (jdbc.sql("select count(*) from memory_book where person_id = :person")
			.param("person", person.value())
			.query(Integer.class)
			.single() > 0) {
			return;
		}
		try {
			separately.executeWithoutResult(status -> jdbc
				.sql("insert into memory_book (person_id, version) values (:person, 0)")
				.param("person", person.value())
				.update());
		}
		catch (DuplicateKeyException raced) {
			// Another request opened it first.
		}
	}

	/** Bumps the version under the book row's lock; call it first in a changing transaction. */
	public long bump(PersonId person) {
		jdbc.sql("update memory_book set version = version + 1 where person_id = :person")
			.param("person", person.value())
			.update();
		return jdbc.sql("select version from memory_book where person_id = :person")
			.param("person", person.value())
			.query(Long.class)
			.single();
	}

	public void pause(PersonId person, boolean paused) {
		jdbc.sql("update memory_book set paused = :paused where person_id = :person")
			.param("paused", paused)
			.param("person", person.value())
			.update();
	}

	public void personality(PersonId person, Personality personality) {
		jdbc.sql("""
				update memory_book set preset = :preset, verbosity = :verbosity, warmth = :warmth, humour = :humour
				where person_id = :person""")
			.param("preset", personality.preset().id())
			.param("verbosity", personality.verbosity())
			.param("warmth", personality.warmth())
			.param("humour", personality.humour())
			.param("person", person.value())
			.update();
	}

	public void interviewed(PersonId person, Instant at) {
		jdbc.sql("update memory_book set interviewed_at = :at where person_id = :person")
			.param("at", utc(at))
			.param("person", person.value())
			.update();
	}

	public void insert(Memory memory, float[] embedding) {
		jdbc.sql("""
				insert into memory (id, person_id, content, kind, source, source_ref, apps, embedding, created_at, updated_at)
				values (:id, :person, :content, :kind, :source, :ref, :apps, :embedding, :created, :updated)""")
			.param("id", memory.id().value())
			.param("person", memory.person().value())
			.param("content", memory.content())
			.param("kind", memory.kind().id())
			.param("source", memory.source().id())
			.param("ref", memory.sourceRef())
			.param("apps", String.join(",", memory.apps()))
			.param("embedding", Embeddings.bytes(embedding))
			.param("created", utc(memory.createdAt()))
			.param("updated", utc(memory.updatedAt()))
			.update();
	}

	public void update(Memory memory, float[] embedding) {
		jdbc.sql("""
				update memory set content = :content, kind = :kind, apps = :apps, embedding = :embedding, updated_at = :updated
				where id = :id and person_id = :person""")
			.param("content", memory.content())
			.param("kind", memory.kind().id())
			.param("apps", String.join(",", memory.apps()))
			.param("embedding", Embeddings.bytes(embedding))
			.param("updated", utc(memory.updatedAt()))
			.param("id", memory.id().value())
			.param("person", memory.person().value())
			.update();
	}

	public int delete(PersonId person, Collection<MemoryId> ids) {
		int deleted = 0;
		for (var id : ids) {
			deleted += jdbc.sql("delete from memory where id = :id and person_id = :person")
				.param("id", id.value())
				.param("person", person.value())
				.update();
		}
		return deleted;
	}

	public int deleteAll(PersonId person) {
		return jdbc.sql("delete from memory where person_id = :person").param("person", person.value()).update();
	}

	/** Removes everything memory holds about the person: memories, embeddings, feedback, settings. */
	public void erase(PersonId person) {
		deleteAll(person);
		jdbc.sql("delete from memory_feedback where person_id = :person").param("person", person.value()).update();
		jdbc.sql("delete from memory_book where person_id = :person").param("person", person.value()).update();
	}

	public Optional<Memory> find(PersonId person, MemoryId id) {
		return jdbc.sql("select " + COLUMNS + " from memory where id = :id and person_id = :person")
			.param("id", id.value())
			.param("person", person.value())
			.query(Memories::memory)
			.optional();
	}

	/** Newest first; {@code text}, if given, must occur in the content (case-insensitive). */
	public List<Memory> list(PersonId person, @Nullable String text, int limit) {
		var sql = "select " + COLUMNS + " from memory where person_id = :person"
				+ (text == null ? "" : " and lower(content) like :text escape '\\'")
				+ " order by updated_at desc, id limit :limit";
		var statement = jdbc.sql(sql).param("person", person.value()).param("limit", limit);
		if (text != null) {
			statement = statement.param("text",
					"%" + text.toLowerCase(java.util.Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
		}
		return statement.query(Memories::memory).list();
	}

	public int count(PersonId person) {
		return jdbc.sql("select count(*) from memory where person_id = :person")
			.param("person", person.value())
			.query(Integer.class)
			.single();
	}

	/** Every memory of the person with its embedding, for the retrieval index. */
	public MemoryBook load(PersonId person, long version) {
		var memories = new ArrayList<Memory>();
		var vectors = new ArrayList<float[]>();
		jdbc.sql("select " + COLUMNS + ", embedding from memory where person_id = :person")
			.param("person", person.value())
			.query(rs -> {
				memories.add(memory(rs, 0));
				vectors.add(Embeddings.vector(rs.getBytes("embedding")));
			});
		return MemoryBook.of(version, memories, vectors);
	}

	public void markUsed(PersonId person, MemoryId id, int times, Instant at) {
		jdbc.sql("update memory set used_count = used_count + :times, last_used_at = :at where id = :id and person_id = :person")
			.param("times", times)
			.param("at", utc(at))
			.param("id", id.value())
			.param("person", person.value())
			.update();
	}

	public void feedback(PersonId person, String replyRef, int rating, @Nullable String reason,
			@Nullable MemoryId memory, Instant at) {
		jdbc.sql("""
				insert into memory_feedback (id, person_id, reply_ref, rating, reason, memory_id, created_at)
				values (:id, :person, :reply, :rating, :reason, :memory, :at)""")
			.param("id", UUID.randomUUID())
			.param("person", person.value())
			.param("reply", replyRef)
			.param("rating", rating)
			.param("reason", reason)
			.param("memory", memory == null ? null : memory.value())
			.param("at", utc(at))
			.update();
	}

	public record Feedback(String replyRef, int rating, @Nullable String reason, Instant at) {
	}

	public List<Feedback> feedback(PersonId person) {
		return jdbc.sql("select * from memory_feedback where person_id = :person order by created_at")
			.param("person", person.value())
			.query((rs, n) -> new Feedback(rs.getString("reply_ref"), rs.getInt("rating"), rs.getString("reason"),
					instant(rs, "created_at")))
			.list();
	}

	private static final String COLUMNS = "id, person_id, content, kind, source, source_ref, apps, created_at, updated_at, last_used_at, used_count";

	private static Memory memory(ResultSet rs, int row) throws SQLException {
		var apps = rs.getString("apps");
		return new Memory(new MemoryId(rs.getObject("id", UUID.class)), new PersonId(rs.getObject("person_id", UUID.class)),
				rs.getString("content"), MemoryKind.of(rs.getString("kind")), MemorySource.of(rs.getString("source")),
				rs.getString("source_ref"), apps.isEmpty() ? List.of() : Arrays.asList(apps.split(",")),
				instant(rs, "created_at"), instant(rs, "updated_at"), instant(rs, "last_used_at"), rs.getInt("used_count"));
	}

	private static @Nullable Instant instant(ResultSet rs, String column) throws SQLException {
		var value = rs.getObject(column, OffsetDateTime.class);
		return value == null ? null : value.toInstant();
	}

	private static OffsetDateTime utc(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}
}
