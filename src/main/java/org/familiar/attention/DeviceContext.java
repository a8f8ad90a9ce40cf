package org.familiar.attention;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a device last said about its person's situation; every part may be unknown. A context is
 * stale after {@code familiar.attention.context-stale-after} and is then not taken into account.
 *
 * @param activity one of {@link #ACTIVITIES}
 * @param screen {@code on}, {@code off} or {@code none} (a device without one)
 * @param place {@code home}, {@code work}, {@code commute} or {@code other}
 * @param audio {@code speaker}, {@code headphones} or {@code none}
 */
public record DeviceContext(@Nullable String activity, @Nullable Boolean focus, @Nullable String screen,
		@Nullable String place, @Nullable String audio, Instant reportedAt) {

	public static final List<String> ACTIVITIES = List.of("free", "working", "meeting", "driving", "sleeping", "exercising");

	public static final List<String> SCREENS = List.of("on", "off", "none");

	public static final List<String> PLACES = List.of("home", "work", "commute", "other");

	public static final List<String> AUDIO = List.of("speaker", "headphones", "none");

	public DeviceContext {
		check("activity", activity, ACTIVITIES);
		check("screen", screen, SCREENS);
		check("place", place, PLACES);
		check("audio", audio, AUDIO);
	}

	/** What it says, in a few words: "meeting · screen off · work". */
	public String summary() {
		var parts = new java.util.ArrayList<String>();
		if (activity != null) {
			parts.add(activity);
		}
		if (Boolean.TRUE.equals(focus)) {
			parts.add("focus");
		}
		if (screen != null) {
			parts.add("screen " + screen);
		}
		if (place != null) {
			parts.add(place);
		}
		if (audio != null && !"none".equals(audio)) {
			parts.add(audio);
		}
		return parts.isEmpty() ? "nothing said" : String.join(" · ", parts);
	}

	public boolean is(String activity) {
		return activity.equals(this.activity);
	}

	private static void check(String field, @Nullable String value, List<String> allowed) {
		if (value != null && !allowed.contains(value)) {
			throw new InvalidAttentionException(field + " is one of " + String.join(", ", allowed) + "; not '" + value + "'.");
		}
	}
}
