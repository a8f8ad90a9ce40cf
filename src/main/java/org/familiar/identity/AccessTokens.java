package org.familiar.identity;

import static org.familiar.identity.People.utc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.familiar.compute.WorkloadClass;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Personal access tokens, found by the hash of their secret. */
@Repository
class AccessTokens {

	private final JdbcClient jdbc;

	AccessTokens(JdbcClient jdbc) {
		this.jdbc = jdbc;
	}

	/** An active token found by its hash, with the person it belongs to. */
	record Holder(AccessToken token, PersonId person, String username) {
	}

	void add(PersonId person, AccessToken token, String hash) {
		jdbc.sql("""
				insert into access_token (id, person_id, label, token_hash, hint, workload, created_at)
				values (:id, :person, :label, :hash, :hint, :workload, :created)""")
			.param("id", token.id().value())
			.param("person", person.value())
			.param("label", token.label())
			.param("hash", hash)
			.param("hint", token.hint())
			.param("workload", token.workload().id())
			.param("created", utc(token.createdAt()))
			.update();
	}

	Optional<Holder> activeByHash(String hash) {
		return jdbc.sql("""
				select t.*, p.username from access_token t join person p on p.id = t.person_id
				where t.token_hash = :hash and t.revoked_at is null""")
			.param("hash", hash)
			.query((rs, n) -> new Holder(token(rs, n), new PersonId(rs.getObject("person_id", UUID.class)),
					rs.getString("username")))
			.optional();
	}

	List<AccessToken> of(PersonId person) {
		return jdbc.sql("select * from access_token where person_id = :person order by created_at desc")
			.param("person", person.value())
			.query(AccessTokens::token)
			.list();
	}

	/** Revokes one of the person's tokens; returns its hash, or empty when the person has no such token. */
	Optional<String> revoke(PersonId person, TokenId id, Instant now) {
		var hash = jdbc.sql("select token_hash from access_token where id = :id and person_id = :person")
			.param("id", id.value())
			.param("person", person.value())
			.query(String.class)
			.optional();
		hash.ifPresent(h -> jdbc.sql("update access_token set revoked_at = :now where id = :id and revoked_at is null")
			.param("now", utc(now))
			.param("id", id.value())
			.update());
		return hash;
	}

	void markUsed(TokenId id, Instant now) {
		jdbc.sql("update access_token set last_used_at = :now where id = :id")
			.param("now", utc(now))
			.param("id", id.value())
			.update();
	}

	private static AccessToken token(ResultSet rs, int n) throws SQLException {
		return new AccessToken(new TokenId(rs.getObject("id", UUID.class)), rs.getString("label"), rs.getString("hint"),
				WorkloadClass.parse(rs.getString("workload")).orElse(WorkloadClass.INTERACTIVE),
				rs.getObject("created_at", OffsetDateTime.class).toInstant(), instant(rs, "last_used_at"),
				instant(rs, "revoked_at"));
	}

	private static @Nullable Instant instant(ResultSet rs, String column) throws SQLException {
		var value = rs.getObject(column, OffsetDateTime.class);
		return value == null ? null : value.toInstant();
	}
}
