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
import org.familiar.media.MediaFile;
import org.familiar.media.MediaManagement;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Files made or uploaded, with their manifests; every read is scoped to the owner. */
@Component
public class MediaFiles {

	private static final String COLUMNS = "id, owner_id, kind, content_type, origin, model, backend, prompt, characters, created_at";

	private final JdbcClient db;

	MediaFiles(JdbcClient db) {
		this.db = db;
	}

	/** A file to keep: its bytes as served (manifest inside where the format allows). */
	public record Stored(UUID id, PersonId owner, String kind, String contentType, byte[] file, String contentSha256,
			MediaFile.Origin origin, @Nullable String model, @Nullable String backend, @Nullable String prompt,
			List<String> characters, String manifest, @Nullable String urlKeySha256, @Nullable Instant urlExpiresAt,
			Instant at) {
	}

	public void save(Stored file) {
		db.sql("""
				insert into media_file (id, owner_id, kind, content_type, content, content_sha256, file_sha256, origin, model,
				    backend, prompt, characters, manifest, url_key_sha256, url_expires_at, created_at)
				values (:id, :owner, :kind, :type, :content, :contentSha, :fileSha, :origin, :model, :backend, :prompt,
				    :characters, :manifest, :urlKey, :urlExpires, :at)""")
			.param("id", file.id())
			.param("owner", file.owner().value())
			.param("kind", file.kind())
			.param("type", file.contentType())
			.param("content", file.file())
			.param("contentSha", file.contentSha256())
			.param("fileSha", Manifests.sha256(file.file()))
			.param("origin", file.origin().id())
			.param("model", file.model())
			.param("backend", file.backend())
			.param("prompt", file.prompt() == null ? null
					: file.prompt().length() > 4000 ? file.prompt().substring(0, 4000) : file.prompt())
			.param("characters", String.join("\n", file.characters()))
			.param("manifest", file.manifest())
			.param("urlKey", file.urlKeySha256())
			.param("urlExpires", file.urlExpiresAt() == null ? null : Timestamp.from(file.urlExpiresAt()))
			.param("at", Timestamp.from(file.at()))
			.update();
	}

	public List<MediaFile> of(PersonId owner, int limit) {
		return db.sql("select " + COLUMNS + " from media_file where owner_id = :owner order by created_at desc limit :limit")
			.param("owner", owner.value())
			.param("limit", limit)
			.query(MediaFiles::row)
			.list();
	}

	public Optional<MediaFile> find(PersonId owner, UUID id) {
		return db.sql("select " + COLUMNS + " from media_file where owner_id = :owner and id = :id")
			.param("owner", owner.value())
			.param("id", id)
			.query(MediaFiles::row)
			.optional();
	}

	public Optional<MediaManagement.Content> content(PersonId owner, UUID id) {
		return db.sql("select content_type, content, manifest from media_file where owner_id = :owner and id = :id")
			.param("owner", owner.value())
			.param("id", id)
			.query((rs, n) -> new MediaManagement.Content(rs.getString(1), rs.getBytes(2), rs.getString(3)))
			.optional();
	}

	/** A file by its link key (the link is the permission), while the link lasts. */
	public Optional<MediaManagement.Content> byLink(String keySha256, Instant now) {
		return db.sql("select content_type, content, manifest from media_file where url_key_sha256 = :key and url_expires_at > :now")
			.param("key", keySha256)
			.param("now", Timestamp.from(now))
			.query((rs, n) -> new MediaManagement.Content(rs.getString(1), rs.getBytes(2), rs.getString(3)))
			.optional();
	}

	/** Whether Familiar holds a file with these bytes (as served, or before its manifest went in). */
	public boolean known(String sha256) {
		return db.sql("select count(*) from media_file where file_sha256 = :sha or content_sha256 = :sha")
			.param("sha", sha256)
			.query(Long.class)
			.single() > 0;
	}

	public boolean delete(PersonId owner, UUID id) {
		return db.sql("delete from media_file where owner_id = :owner and id = :id")
			.param("owner", owner.value())
			.param("id", id)
			.update() == 1;
	}

	public void erase(PersonId person) {
		db.sql("delete from media_file where owner_id = :owner").param("owner", person.value()).update();
	}

	private static MediaFile row(ResultSet rs, int n) throws SQLException {
		var characters = rs.getString(9);
		return new MediaFile(rs.getObject(1, UUID.class), new PersonId(rs.getObject(2, UUID.class)), rs.getString(3),
				rs.getString(4), MediaFile.Origin.of(rs.getString(5)), rs.getString(6), rs.getString(7), rs.getString(8),
				characters.isEmpty() ? List.of() : Arrays.asList(characters.split("\n")), rs.getTimestamp(10).toInstant());
	}
}
