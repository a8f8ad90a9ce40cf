package org.familiar.compute;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Who a request is for, which decides how the capacity scheduler treats it: Familiar's own chat,
 * third-party apps, background work, or research (evaluations).
 */
public enum WorkloadClass {

	INTERACTIVE, APP, BATCH, RESEARCH;

	/** The lower-case name used in configuration, the CLI and storage. */
	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	public static Optional<WorkloadClass> parse(String name) {
		return Arrays.stream(values()).filter(w -> w.id().equalsIgnoreCase(name.trim())).findFirst();
	}
}
