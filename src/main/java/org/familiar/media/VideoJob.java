package org.familiar.media;

import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A video being made.
 *
 * @param id {@code video_…}
 * @param status {@code queued}, {@code in_progress}, {@code completed} or {@code failed}
 * @param progress 0–100
 * @param file the finished video, once {@code completed}
 */
@com.fasterxml.jackson.databind.annotation.JsonNaming(com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy.class)
public record VideoJob(String id, String model, String prompt, int seconds, String size, String status, int progress,
		@Nullable UUID file, @Nullable String error, Instant createdAt, @Nullable Instant completedAt) {

	public boolean done() {
		return "completed".equals(status) || "failed".equals(status);
	}
}
