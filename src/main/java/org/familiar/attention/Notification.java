package org.familiar.attention;

import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A notification and what became of it.
 *
 * @param sender {@code app:CLIENT_ID}, {@code familiar} or {@code you}
 * @param decision {@code now}, {@code digest} or {@code drop}
 * @param deliverAt when it is (or was) shown, if not at once: the digest's time, the end of a cooldown, a reminder's time
 * @param action what the person did: {@code opened}, {@code dismissed} or {@code snoozed}
 */
public record Notification(UUID id, String sender, String senderName, String title, @Nullable String body,
		Urgency urgency, @Nullable String topic, @Nullable Instant expiresAt, @Nullable String dedupeKey,
		Instant createdAt, String decision, @Nullable String device, @Nullable String deviceName, String reason,
		@Nullable Instant deliverAt, @Nullable Instant deliveredAt, @Nullable UUID digest, @Nullable String action,
		@Nullable Instant actedAt) {

	public static final String FAMILIAR = "familiar";

	public static final String PERSON = "you";
}
