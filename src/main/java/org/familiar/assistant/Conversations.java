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
				insert into conversation (id, person_id, title, model, created_at, updated_at, kind, system_prompt,
				  temperature, titled)
				values (:id, :person, :title, :model, :created, :updated, :kind, :system, :temperature, :titled)""")
			.param("kind", conversation.kind())
			.param("system", conversation.systemPrompt())
			.param("temperature", conversation.temperature())
			.param("titled", conversation.titled())
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

	/**
	 * The person's conversations whose title or any message contains {@code text} (ignoring case),
	 * newest first.
	 */
	List<Conversation> search(UUID person, String text) {
		var pattern = "%" + text.toLowerCase(java.util.Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
		return jdbc.sql("""
				select * from conversation c where c.person_id = :person
				and (lower(c.title) like :pattern escape '\\' or exists (select 1 from chat_message m
				  where m.conversation_id = c.id and m.active and lower(m.content) like :pattern escape '\\'))
				order by c.updated_at desc""")
			.param("person", person)
			.param("pattern", pattern)
			.query(Conversations::conversation)
			.list();
	}

	/** The person names a conversation (or a generated title is kept: {@code onlyIfUntitled}). */
	boolean title(UUID person, UUID id, String title, boolean onlyIfUntitled) {
		return jdbc.sql("update conversation set title = :title, titled = true where id = :id and person_id = :person"
				+ (onlyIfUntitled ? " and titled = false" : ""))
			.param("title", title)
			.param("id", id)
			.param("person", person)
			.update() == 1;
	}

	boolean configure(UUID person, UUID id, @Nullable String systemPrompt, @Nullable Double temperature) {
		return jdbc.sql("update conversation set system_prompt = :system, temperature = :temperature where id = :id and person_id = :person")
			.param("system", systemPrompt)
			.param("temperature", temperature)
			.param("id", id)
			.param("person", person)
			.update() == 1;
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

	/** Adds a message after {@code parent} (none: the first), as the active version of its place. */
	StoredMessage append(UUID conversation, @Nullable UUID parent, String role, String content, String status,
			@Nullable String model, Instant now) {
		int seq = jdbc.sql("select coalesce(max(seq), 0) + 1 from chat_message where conversation_id = :id")
			.param("id", conversation)
			.query(Integer.class)
			.single();
		var message = new StoredMessage(UUID.randomUUID(), seq, role, content, status, null, model, now, List.of(), null,
				parent, true);
		activate(conversation, parent, null);
		jdbc.sql("""
				insert into chat_message (id, conversation_id, seq, role, content, status, model, created_at, parent_id, active)
				values (:id, :conversation, :seq, :role, :content, :status, :model, :created, :parent, true)""")
			.param("id", message.id())
			.param("conversation", conversation)
			.param("seq", seq)
			.param("role", role)
			.param("content", content)
			.param("status", status)
			.param("model", model)
			.param("created", utc(now))
			.param("parent", parent)
			.update();
		return message;
	}

	/** Makes {@code message} (none: no message) the active one among the messages after {@code parent}. */
	void activate(UUID conversation, @Nullable UUID parent, @Nullable UUID message) {
		jdbc.sql("update chat_message set active = (id = :message) where conversation_id = :conversation and "
				+ (parent == null ? "parent_id is null" : "parent_id = :parent"))
			.param("message", message == null ? new UUID(0, 0) : message)
			.param("conversation", conversation)
			.param("parent", parent)
			.update();
	}

	/**
	 * The conversation as it is shown: from the first message on, at each place the active version
	 * (the newest if none is), with where it stands among its versions.
	 */
	static List<ThreadMessage> thread(List<StoredMessage> all) {
		var children = new java.util.HashMap<java.util.Optional<UUID>, List<StoredMessage>>();
		for (var message : all) {
			children.computeIfAbsent(java.util.Optional.ofNullable(message.parentId()), p -> new java.util.ArrayList<>()).add(message);
		}
		var thread = new java.util.ArrayList<ThreadMessage>();
		var place = children.get(java.util.Optional.<UUID>empty());
		while (place != null && !place.isEmpty() && thread.size() < all.size()) {
			var versions = place.stream().sorted(java.util.Comparator.comparingInt(StoredMessage::seq)).toList();
			int chosen = versions.size() - 1;
			for (int i = 0; i < versions.size(); i++) {
				if (versions.get(i).active()) {
					chosen = i;
				}
			}
			var shown = versions.get(chosen);
			thread.add(new ThreadMessage(shown, chosen + 1, versions.size(), chosen > 0 ? versions.get(chosen - 1).id() : null,
					chosen < versions.size() - 1 ? versions.get(chosen + 1).id() : null, List.of()));
			place = children.get(java.util.Optional.of(shown.id()));
		}
		return thread;
	}

	void recordMemories(UUID message, List<String> memoryIds) {
		jdbc.sql("update chat_message set memory_ids = :ids where id = :id")
			.param("ids", String.join(",", memoryIds))
			.param("id", message)
			.update();
	}

	record Located(UUID conversation, StoredMessage message) {
	}

	void attach(UUID message, List<Attachment> attachments) {
		for (int i = 0; i < attachments.size(); i++) {
			var a = attachments.get(i);
			jdbc.sql("""
					insert into chat_attachment (id, message_id, position, name, media_type, size_bytes, data, text)
					values (:id, :message, :position, :name, :type, :size, :data, :text)""")
				.param("id", a.id())
				.param("message", message)
				.param("position", i)
				.param("name", a.name())
				.param("type", a.mediaType())
				.param("size", a.size())
				.param("data", a.data())
				.param("text", a.text())
				.update();
		}
	}

	/** What is attached to each message of a conversation (without the content), by message. */
	java.util.Map<UUID, List<Attachment.Info>> attachmentsOf(UUID conversation) {
		var found = new java.util.HashMap<UUID, List<Attachment.Info>>();
		jdbc.sql("""
				select a.message_id, a.id, a.name, a.media_type, a.size_bytes, a.data is not null as image from chat_attachment a
				join chat_message m on m.id = a.message_id where m.conversation_id = :conversation order by a.position""")
			.param("conversation", conversation)
			.query((rs, n) -> {
				found.computeIfAbsent(rs.getObject(1, UUID.class), m -> new java.util.ArrayList<>())
					.add(new Attachment.Info(rs.getObject(2, UUID.class), rs.getString(3), rs.getString(4), rs.getLong(5),
							rs.getBoolean(6)));
				return null;
			})
			.list();
		return found;
	}

	/** The attachments of the given messages, with their content, by message. */
	java.util.Map<UUID, List<Attachment>> attachments(java.util.Collection<UUID> messages) {
		var found = new java.util.HashMap<UUID, List<Attachment>>();
		if (messages.isEmpty()) {
			return found;
		}
		jdbc.sql("select * from chat_attachment where message_id in (:ids) order by position")
			.param("ids", List.copyOf(messages))
			.query((rs, n) -> {
				found.computeIfAbsent(rs.getObject("message_id", UUID.class), m -> new java.util.ArrayList<>())
					.add(new Attachment(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("media_type"),
							rs.getLong("size_bytes"), rs.getBytes("data"), rs.getString("text")));
				return null;
			})
			.list();
		return found;
	}

	/** One of the person's attachments, with its content. */
	Optional<Attachment> attachment(UUID person, UUID id) {
		return jdbc.sql("""
				select a.* from chat_attachment a join chat_message m on m.id = a.message_id
				join conversation c on c.id = m.conversation_id where a.id = :id and c.person_id = :person""")
			.param("id", id)
			.param("person", person)
			.query((rs, n) -> new Attachment(rs.getObject("id", UUID.class), rs.getString("name"), rs.getString("media_type"),
					rs.getLong("size_bytes"), rs.getBytes("data"), rs.getString("text")))
			.optional();
	}

	/** One of the person's messages, with its conversation. */
	Optional<Located> messageOf(UUID person, UUID message) {
		return jdbc.sql("""
				select m.* from chat_message m join conversation c on c.id = m.conversation_id
				where m.id = :id and c.person_id = :person""")
			.param("id", message)
			.param("person", person)
			.query((rs, n) -> new Located(rs.getObject("conversation_id", UUID.class), message(rs, n)))
			.optional();
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

	/**
	 * Saves how a reply ended. If the person stopped it, only what they had been shown is kept
	 * ({@link #stop}), whichever of the two gets here first: both take the row's lock.
	 */
	@org.springframework.transaction.annotation.Transactional
	void settle(UUID message, String content, String status, @Nullable String detail) {
		var shown = jdbc.sql("select shown_chars from chat_message where id = :id for update")
			.param("id", message)
			.query((rs, n) -> rs.getObject(1, Integer.class))
			.optional();
		var stoppedAt = shown.orElse(null);
		var kept = stoppedAt == null ? content : prefix(content, stoppedAt);
		jdbc.sql("update chat_message set content = :content, status = :status, detail = :detail where id = :id")
			.param("content", kept)
			.param("status", StoredMessage.COMPLETE.equals(status) && kept.length() < content.length() ? StoredMessage.STOPPED : status)
			.param("detail", detail == null ? null : detail.substring(0, Math.min(detail.length(), 1000)))
			.param("id", message)
			.update();
	}

	/**
	 * The person stopped a reply after being shown its first {@code shownChars} code points: that
	 * is what the reply keeps, even if more was generated before the server noticed.
	 * @return false if the person has no such reply
	 */
	@org.springframework.transaction.annotation.Transactional
	boolean stop(UUID person, UUID message, int shownChars) {
		boolean theirs = jdbc.sql("""
				select count(*) from chat_message m join conversation c on c.id = m.conversation_id
				where m.id = :id and m.role = 'assistant' and c.person_id = :person""")
			.param("id", message)
			.param("person", person)
			.query(Long.class)
			.single() == 1;
		if (!theirs) {
			return false;
		}
		var row = jdbc.sql("select content, status from chat_message where id = :id for update")
			.param("id", message)
			.query((rs, n) -> new String[] { rs.getString(1), rs.getString(2) })
			.single();
		boolean ended = !StoredMessage.STREAMING.equals(row[1]);
		jdbc.sql("update chat_message set shown_chars = :shown, content = :content, status = :status where id = :id")
			.param("shown", shownChars)
			.param("content", ended ? prefix(row[0], shownChars) : row[0])
			.param("status", ended && StoredMessage.COMPLETE.equals(row[1]) && prefix(row[0], shownChars).length() < row[0].length()
					? StoredMessage.STOPPED : row[1])
			.param("id", message)
			.update();
		return true;
	}

	/** The first {@code codePoints} code points of {@code text} (all of it if it is shorter). */
	static String prefix(String text, int codePoints) {
		if (codePoints <= 0) {
			return "";
		}
		return text.codePointCount(0, text.length()) <= codePoints ? text : text.substring(0, text.offsetByCodePoints(0, codePoints));
	}

	private static OffsetDateTime utc(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

	private static Conversation conversation(ResultSet rs, int n) throws SQLException {
		return new Conversation(rs.getObject("id", UUID.class), rs.getObject("person_id", UUID.class),
				rs.getString("title"), rs.getString("model"),
				rs.getObject("created_at", OffsetDateTime.class).toInstant(),
				rs.getObject("updated_at", OffsetDateTime.class).toInstant(), rs.getString("kind"),
				rs.getString("system_prompt"), rs.getObject("temperature", Double.class), rs.getBoolean("titled"));
	}

	private static StoredMessage message(ResultSet rs, int n) throws SQLException {
		return new StoredMessage(rs.getObject("id", UUID.class), rs.getInt("seq"), rs.getString("role"),
				rs.getString("content"), rs.getString("status"), rs.getString("detail"), rs.getString("model"),
				rs.getObject("created_at", OffsetDateTime.class).toInstant(), ids(rs.getString("memory_ids")),
				rs.getObject("rating", Integer.class), rs.getObject("parent_id", UUID.class), rs.getBoolean("active"));
	}

	private static List<String> ids(@Nullable String joined) {
		return joined == null || joined.isEmpty() ? List.of() : List.of(joined.split(","));
	}
}
