package org.familiar.assistant;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Conversations and their messages. Every read names the owner, so nobody sees another's chats. */
@Repository
class Conversations {

	private final JdbcClient jdbc;

	Conversations(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	void add(Conversation conversation) {
		jdbc.sql("""
				insert into conversation (id, person_id, title, model, created_at, updated_at, kind)
				values (:id, :person, :title, :model, :created, :updated, :kind)""")
			.param("kind", conversation.kind())
			.param("id", conversation.id())
			.param("person", conversation.person())
			.param("title", conversation.title())
			.param("model", conversation.model())
			.param("created", utc(conversation.createdAt()))
			.param("updated", utc(conversation.updatedAt()))
			.update();
	}

	List<Conversation> of(UUID person) {
		return jdbc.sql("select * from conversation where person_id = :person order by updated_at desc")
			.param("person", person)
			.query(Conversations::conversation)
			.list();
	}

	Optional<Conversation> find(UUID person, UUID id) {
		return jdbc.sql("select * from conversation where id = :id and person_id = :person")
			.param("id", id)
			.param("person", person)
			.query(Conversations::conversation)
			.optional();
	}

	boolean delete(UUID person, UUID id) {
		return jdbc.sql("delete from conversation where id = :id and person_id = :person")
			.param("id", id)
			.param("person", person)
			.update() > 0;
	}

	void touch(UUID id, String model, Instant now) {
		jdbc.sql("update conversation set model = :model, updated_at = :now where id = :id")
			.param("model", model)
			.param("now", utc(now))
			.param("id", id)
			.update();
	}

	List<StoredMessage> messages(UUID conversation) {
		return jdbc.sql("select * from chat_message where conversation_id = :id order by seq")
			.param("id", conversation)
			.query(Conversations::message)
			.list();
	}

	StoredMessage append(UUID conversation, String role, String content, String status, @Nullable String model,
			Instant now) {
		int seq = jdbc.sql("select coalesce(max(seq), 0) + 1 from chat_message where conversation_id = :id")
			.param("id", conversation)
			.query(Integer.class)
			.single();
		var message = new StoredMessage(UUID.randomUUID(), seq, role, content, status, null, model, now, List.of(), null);
		jdbc.sql("""
				insert into chat_message (id, conversation_id, seq, role, content, status, model, created_at)
				values (:id, :conversation, :seq, :role, :content, :status, :model, :created)""")
			.param("id", message.id())
			.param("conversation", conversation)
			.param("seq", seq)
			.param("role", role)
			.param("content", content)
			.param("status", status)
			.param("model", model)
			.param("created", utc(now))
			.update();
		return message;
	}

	void recordMemories(UUID message, List<String> memoryIds) {
		jdbc.sql("update chat_message set memory_ids = :ids where id = :id")
			.param("ids", String.join(",", memoryIds))
			.param("id", message)
			.update();
	}

	/** Rates an assistant message of one of the person's conversations; false if there is no such message. */
	boolean rate(UUID person, UUID message, int rating) {
		return jdbc.sql("""
				update chat_message set rating = :rating where id = :id and role = 'assistant'
				and conversation_id in (select id from conversation where person_id = :person)""")
			.param("rating", rating)
			.param("id", message)
			.param("person", person)
			.update() == 1;
	}

	/** Every conversation of the person with its messages, oldest first, for the data export. */
	List<Conversation> all(UUID person) {
		return jdbc.sql("select * from conversation where person_id = :person order by created_at")
			.param("person", person)
			.query(Conversations::conversation)
			.list();
	}

	int deleteAll(UUID person) {
		return jdbc.sql("delete from conversation where person_id = :person").param("person", person).update();
	}

	void settle(UUID message, String content, String status, @Nullable String detail) {
		jdbc.sql("update chat_message set content = :content, status = :status, detail = :detail where id = :id")
			.param("content", content)
			.param("status", status)
			.param("detail", detail == null ? null : detail.substring(0, Math.min(detail.length(), 1000)))
			.param("id", message)
			.update();
	}

	private static OffsetDateTime utc(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

	private static Conversation conversation(ResultSet rs, int n) throws SQLException {
		return new Conversation(rs.getObject("id", UUID.class), rs.getObject("person_id", UUID.class),
				rs.getString("title"), rs.getString("model"),
				rs.getObject("created_at", OffsetDateTime.class).toInstant(),
				rs.getObject("updated_at", OffsetDateTime.class).toInstant(), rs.getString("kind"));
	}

	private static StoredMessage message(ResultSet rs, int n) throws SQLException {
		return new StoredMessage(rs.getObject("id", UUID.class), rs.getInt("seq"), rs.getString("role"),
				rs.getString("content"), rs.getString("status"), rs.getString("detail"), rs.getString("model"),
				rs.getObject("created_at", OffsetDateTime.class).toInstant(), ids(rs.getString("memory_ids")),
				rs.getObject("rating", Integer.class));
	}

	private static List<String> ids(@Nullable String joined) {
		return joined == null || joined.isEmpty() ? List.of() : List.of(joined.split(","));
	}
}
