package org.familiar.media.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.familiar.identity.PersonId;
import org.familiar.media.Audience;
import org.familiar.media.Character;
import org.familiar.media.CharacterKind;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The registry of characters and likenesses, their reference images and every use of them. */
@Component
public class Characters {

	private static final String COLUMNS = """
			c.id, c.holder_id, c.kind, c.name, c.handle, c.aliases, c.description, c.audience, c.approved, c.forbidden,
			c.attribution, c.feature_me, c.withdrawn_at, c.created_at,
			(select count(*) from media_reference r where r.character_id = c.id) as refs""";

	private final JdbcClient db;

	Characters(JdbcClient db) {
		this.db = db;
	}

	public Character register(PersonId holder, Character.Rules rules, Instant now) {
		var id = UUID.randomUUID();
		db.sql("""
				insert into media_character (id, holder_id, kind, name, handle, aliases, description, audience, approved,
				    forbidden, attribution, feature_me, created_at)
				values (:id, :holder, :kind, :name, :handle, :aliases, :description, :audience, :approved, :forbidden,
				    :attribution, :feature, :now)""")
			.param("id", id)
			.param("holder", holder.value())
			.param("kind", rules.kind().id())
			.param("now", Timestamp.from(now))
			.params(fields(rules))
			.update();
		return find(id).orElseThrow();
	}

	/** Changes the rules of one of the holder's entries; from the next request on. */
	public boolean update(PersonId holder, UUID id, Character.Rules rules) {
		return db.sql("""
				update media_character set name = :name, handle = :handle, aliases = :aliases, description = :description,
				    audience = :audience, approved = :approved, forbidden = :forbidden, attribution = :attribution,
				    feature_me = :feature
				where id = :id and holder_id = :holder""")
			.param("id", id)
			.param("holder", holder.value())
			.params(fields(rules))
			.update() == 1;
	}

	private static java.util.Map<String, Object> fields(Character.Rules rules) {
		var map = new java.util.HashMap<String, Object>();
		map.put("name", rules.name());
		map.put("handle", rules.handle());
		map.put("aliases", String.join("\n", rules.aliases()));
		map.put("description", rules.description());
		map.put("audience", rules.audience().id());
		map.put("approved", String.join("\n", rules.approved()));
		map.put("forbidden", String.join("\n", rules.forbiddenThemes()));
		map.put("attribution", rules.attribution());
		map.put("feature", rules.featureMe());
		return map;
	}

	/** Withdraws (or, with {@code null}, restores) every permission at once. */
	public boolean withdraw(PersonId holder, UUID id, @Nullable Instant at) {
		return db.sql("update media_character set withdrawn_at = :at where id = :id and holder_id = :holder")
			.param("at", at == null ? null : Timestamp.from(at))
			.param("id", id)
			.param("holder", holder.value())
			.update() == 1;
	}

	public boolean handleTaken(String handle, @Nullable UUID except) {
		// Two statements, not ":except is null or …": PostgreSQL cannot type a parameter that is only compared with null.
		var query = except == null
				? db.sql("select count(*) from media_character where handle = :handle").param("handle", handle)
				: db.sql("select count(*) from media_character where handle = :handle and id <> :except").param("handle", handle)
					.param("except", except);
		return query.query(Long.class).single() > 0;
	}

	public Optional<Character> find(UUID id) {
		return db.sql("select " + COLUMNS + " from media_character c where c.id = :id").param("id", id).query(Characters::row)
			.optional();
	}

	public List<Character> heldBy(PersonId holder) {
		return db.sql("select " + COLUMNS + " from media_character c where c.holder_id = :holder order by c.created_at")
			.param("holder", holder.value())
			.query(Characters::row)
			.list();
	}

	/** Entries whose holders want them used, not withdrawn, open to everyone or approved for this person. */
	public List<Character> featured() {
		return db.sql("select " + COLUMNS + " from media_character c where c.feature_me and c.withdrawn_at is null order by c.name")
			.query(Characters::row)
			.list();
	}

	/**
	 * The whole registry with reference hashes, read at every request so that a rule changed or a
	 * permission withdrawn on any replica holds from the next request on.
	 */
	public List<RightsCheck.Registered> registry() {
		var hashes = new java.util.HashMap<UUID, List<Long>>();
		db.sql("select character_id, dhash from media_reference")
			.query((java.sql.ResultSet rs) -> {
				hashes.computeIfAbsent(rs.getObject(1, UUID.class), any -> new java.util.ArrayList<>()).add(rs.getLong(2));
			});
		return db.sql("select " + COLUMNS + " from media_character c").query(Characters::row).list().stream()
			.map(c -> new RightsCheck.Registered(c, hashes.getOrDefault(c.id(), List.of())))
			.toList();
	}

	public void addReference(UUID character, byte[] image, String contentType, long dhash) {
		db.sql("""
				insert into media_reference (id, character_id, sha256, dhash, content_type, content)
				values (:id, :character, :sha, :dhash, :type, :content)""")
			.param("id", UUID.randomUUID())
			.param("character", character)
			.param("sha", Manifests.sha256(image))
			.param("dhash", dhash)
			.param("type", contentType)
			.param("content", image)
			.update();
	}

	public void recordUse(UUID character, PersonId user, String username, boolean allowed, String rule, String detail,
			String prompt, @Nullable UUID file, Instant at) {
		db.sql("""
				insert into media_character_use (id, character_id, user_id, username, allowed, rule, detail, prompt, file_id, at)
				values (:id, :character, :user, :username, :allowed, :rule, :detail, :prompt, :file, :at)""")
			.param("id", UUID.randomUUID())
			.param("character", character)
			.param("user", user.value())
			.param("username", username)
			.param("allowed", allowed)
			.param("rule", rule)
			.param("detail", detail.length() > 500 ? detail.substring(0, 500) : detail)
			.param("prompt", prompt.length() > 300 ? prompt.substring(0, 297) + "…" : prompt)
			.param("file", file)
			.param("at", Timestamp.from(at))
			.update();
	}

	/** Uses of one of the holder's entries, newest first. */
	public List<Character.Use> uses(PersonId holder, UUID character, int limit) {
		return db.sql("""
				select u.at, u.username, u.allowed, u.rule, u.detail, u.prompt, u.file_id from media_character_use u
				join media_character c on c.id = u.character_id
				where u.character_id = :character and c.holder_id = :holder order by u.at desc limit :limit""")
			.param("character", character)
			.param("holder", holder.value())
			.param("limit", limit)
			.query((rs, n) -> new Character.Use(rs.getTimestamp(1).toInstant(), rs.getString(2), rs.getBoolean(3),
					rs.getString(4), rs.getString(5), rs.getString(6), rs.getObject(7, UUID.class)))
			.list();
	}

	public void erase(PersonId person) {
		var mine = db.sql("select id from media_character where holder_id = :holder").param("holder", person.value())
			.query(UUID.class).list();
		for (var id : mine) {
			db.sql("delete from media_reference where character_id = :id").param("id", id).update();
			db.sql("delete from media_character_use where character_id = :id").param("id", id).update();
		}
		db.sql("delete from media_character where holder_id = :holder").param("holder", person.value()).update();
		db.sql("delete from media_character_use where user_id = :user").param("user", person.value()).update();
	}

	private static Character row(ResultSet rs, int n) throws SQLException {
		var withdrawn = rs.getTimestamp(13);
		return new Character(rs.getObject(1, UUID.class), new PersonId(rs.getObject(2, UUID.class)),
				CharacterKind.of(rs.getString(3)), rs.getString(4), rs.getString(5), lines(rs.getString(6)), rs.getString(7),
				Audience.of(rs.getString(8)), lines(rs.getString(9)), lines(rs.getString(10)), rs.getString(11),
				rs.getBoolean(12), withdrawn == null ? null : withdrawn.toInstant(), rs.getTimestamp(14).toInstant(),
				rs.getInt(15));
	}

	private static List<String> lines(String text) {
		return Arrays.stream(text.split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
	}
}
