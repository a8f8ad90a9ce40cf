package org.familiar.memory;

import java.util.Locale;

/** Where a memory came from; {@link Memory#sourceRef()} says which conversation or app. */
public enum MemorySource {

	/** Said in a conversation: "remember that…", or found there by extraction. */
	CONVERSATION,
	/** From a thumbs up or down on a reply, with the person's reason. */
	FEEDBACK,
	/** An answer in the onboarding interview. */
	ONBOARDING,
	/** Added by hand on the memory page or through the API with a personal token. */
	MANUAL,
	/** Written by an app the person connected. */
	APP,
	/** Learned from what the person opens and dismisses of their notifications. */
	ATTENTION;

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	public static MemorySource of(String id) {
		return valueOf(id.toUpperCase(Locale.ROOT));
	}
}
