package org.familiar.identity;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A device a person linked with a code (the device flow): a watch, a speaker, a car. It stays
 * linked while it refreshes its tokens, and is unlinked on <i>Apps &amp; devices</i>.
 *
 * @param id the device's authorization, which refresh rotation keeps
 * @param clientId the device app it runs
 * @param appName that app's name
 * @param kind one of {@link #KINDS}
 * @param lastSeenAt when it last called Familiar, to the minute
 */
public record LinkedDevice(String id, PersonId person, String clientId, String appName, String name, String kind,
		Instant linkedAt, @Nullable Instant lastSeenAt) {

	public static final List<String> KINDS = List.of("phone", "watch", "speaker", "glasses", "car", "desktop", "other");

	public static final int NAME_LENGTH = 100;

	/** A device's name and kind as given, checked. */
	public static String checkedName(@Nullable String name) {
		var clean = name == null ? "" : name.strip();
		if (clean.isEmpty() || clean.length() > NAME_LENGTH || clean.chars().anyMatch(Character::isISOControl)) {
			throw new InvalidAccountException("A device's name has 1 to " + NAME_LENGTH + " characters.");
		}
		return clean;
	}

	public static String checkedKind(@Nullable String kind) {
		if (kind == null || !KINDS.contains(kind)) {
			throw new InvalidAccountException("A device's kind is one of " + String.join(", ", KINDS) + ".");
		}
		return kind;
	}
}
