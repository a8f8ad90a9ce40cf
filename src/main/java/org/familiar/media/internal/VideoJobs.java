package org.familiar.media.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.familiar.identity.PersonId;
import org.familiar.media.VideoJob;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** Video jobs and their progress, readable from any replica; written by the one running the job. */
@Component
public class VideoJobs {

	private static final String COLUMNS = "id, model, prompt, seconds, size, status, progress, file_id, error, created_at, completed_at";

	private final JdbcClient db;

	VideoJobs(JdbcClient db) {
		this.db = db;
	}

	public void create(String id, PersonId owner, String model, String prompt, int seconds, String size, String characters,
			String node, Instant now) {
		db.sql("""
				insert into media_job (id, owner_id, model, prompt, seconds, size, status, characters, node, created_at)
				values (:id, :owner, :model, :prompt, :seconds, :size, 'queued', :characters, :node, :now)""")
			.param("id", id)
			.param("owner", owner.value())
			.param("model", model)
			.param("prompt", prompt.length() > 4000 ? prompt.substring(0, 4000) : prompt)
			.param("seconds", seconds)
			.param("size", size)
			.param("characters", characters)
			.param("node", node)
			.param("now", Timestamp.from(now))
			.update();
	}

	public void progress(String id, VideoJob.Status status, int progress, @Nullable String backend, @Nullable String backendJob) {
		var spec = backend == null || backendJob == null ? db.sql("""
				update media_job set status = :status, progress = :progress
				where id = :id and status <> 'completed' and status <> 'failed'""")
				: db.sql("""
						update media_job set status = :status, progress = :progress, backend = :backend, backend_job = :job
						where id = :id and status <> 'completed' and status <> 'failed'""").param("backend", backend).param("job", backendJob);
		spec.param("status", status.id()).param("progress", progress).param("id", id).update();
	}

	public void completed(String id, UUID file, Instant now) {
		db.sql("update media_job set status = 'completed', progress = 100, file_id = :file, completed_at = :now where id = :id")
			.param("file", file)
			.param("now", Timestamp.from(now))
			.param("id", id)
			.update();
	}

	/** Ends a job that has not ended yet as failed; {@code false} if it had ended. */
	public boolean failed(String id, String error, Instant now) {
		return db.sql("""
				update media_job set status = 'failed', error = :error, completed_at = :now
				where id = :id and status <> 'completed' and status <> 'failed'""")
			.param("error", error.length() > 2000 ? error.substring(0, 2000) : error)
			.param("now", Timestamp.from(now))
			.param("id", id)
			.update() == 1;
	}

	public Optional<VideoJob> find(PersonId owner, String id) {
		return db.sql("select " + COLUMNS + " from media_job where owner_id = :owner and id = :id")
			.param("owner", owner.value())
			.param("id", id)
			.query(VideoJobs::row)
			.optional();
	}

	public List<VideoJob> of(PersonId owner, int limit) {
		return db.sql("select " + COLUMNS + " from media_job where owner_id = :owner order by created_at desc limit :limit")
			.param("owner", owner.value())
			.param("limit", limit)
			.query(VideoJobs::row)
			.list();
	}

	/** Jobs a node left running: it stopped (or crashed) before they ended. */
	public List<String> unfinished(String node, Instant before) {
		return db.sql("""
				select id from media_job where node = :node and created_at < :before and status <> 'completed' and status <> 'failed'""")
			.param("node", node)
			.param("before", Timestamp.from(before))
			.query(String.class)
			.list();
	}

	public void erase(PersonId person) {
		db.sql("delete from media_job where owner_id = :owner").param("owner", person.value()).update();
	}

	private static VideoJob row(ResultSet rs, int n) throws SQLException {
		var completed = rs.getTimestamp(11);
		return new VideoJob(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5),
				VideoJob.Status.of(rs.getString(6)),
				rs.getInt(7), rs.getObject(8, UUID.class), rs.getString(9), rs.getTimestamp(10).toInstant(),
				completed == null ? null : completed.toInstant());
	}
}
