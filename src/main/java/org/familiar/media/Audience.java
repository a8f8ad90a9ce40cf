package org.familiar.media;

/** Who may use a character or a likeness. */
public enum Audience {

	/** Its holder only. */
	ONLY_ME("only_me"),

	/** Its holder and the people they approved by name. */
	APPROVED("approved"),

	/** Anyone, within its other rules. */
	EVERYONE("everyone");

	private final String id;

	Audience(String id) {
		this.id = id;
	}

	public String id() {
		return id;
	}

	/** @throws InvalidMediaException for anything but {@code only_me}, {@code approved}, {@code everyone} */
	public static Audience of(String id) {
		for (var audience : values()) {
			if (audience.id.equals(id)) {
				return audience;
			}
		}
		throw new InvalidMediaException("'audience' is one of only_me, approved, everyone; not '" + id + "'.", "audience");
	}
}
