package org.familiar.memory;

import java.time.Instant;
import java.util.List;
import org.familiar.identity.PersonId;
import org.jspecify.annotations.Nullable;

/**
 * One short statement about the person.
 *
 * @param sourceRef the conversation or app it came from, if any
 * @param apps which apps may see it: {@code ["*"]} every app the person lets read memories, an
 * empty list Familiar itself only, otherwise those apps' ids
 */
public record Memory(MemoryId id, PersonId person, String content, MemoryKind kind, MemorySource source,
		@Nullable String sourceRef, List<String> apps, Instant createdAt, Instant updatedAt,
		@Nullable Instant lastUsedAt, int usedCount) {

	public static final String EVERY_APP = "*";

	public Memory {
		apps = List.copyOf(apps);
	}

	/** Whether a request from {@code app} may see it; Familiar's own requests ({@code null}) see all. */
	public boolean visibleTo(@Nullable String app) {
		return app == null || apps.contains(EVERY_APP) || apps.contains(app);
	}

	public Memory withContent(String content, MemoryKind kind, List<String> apps, Instant now) {
		return new Memory(id, person, content, kind, source, sourceRef, apps, createdAt, now, lastUsedAt, usedCount);
	}
}
