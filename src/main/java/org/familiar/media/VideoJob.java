package org.familiar.media;

import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A video being made.
 *
 * @param id {@code video_…}
 * @param status where the job is
 * @param progress 0–100
 * @param file the finished video, once {@code completed}
 */
@com.fasterxml.jackson.databind.annotation.JsonNaming(com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy.class)
public record VideoJob(String id, String model, String prompt, int seconds, String size, Status status, int progress,
		@Nullable UUID file, @Nullable String error, Instant createdAt, @Nullable Instant completedAt) {

	public boolean done() {
		return status == Status.COMPLETED || status == Status.FAILED;
	}

	/** A job's state, named on the wire as OpenAI names it. */
	public enum Status {

		QUEUED("queued"), IN_PROGRESS("in_progress"), COMPLETED("completed"), FAILED("failed");

		private final String id;

		Status(String id) {
			this.id = id;
		}

		@com.fasterxml.jackson.annotation.JsonValue
		public String id() {
			return id;
		}

		public static Status of(String id) {
			for (var status : values()) {
				if (status.id.equals(id)) {
					return status;
				}
			}
			throw new IllegalArgumentException("No video job status '" + id + "'");
		}
	}
}
