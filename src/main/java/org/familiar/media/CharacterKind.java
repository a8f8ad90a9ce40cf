package org.familiar.media;

/** What a registered entry stands for. */
public enum CharacterKind {

	/** A character a rights holder owns (a mascot, a figure from a story). */
	CHARACTER("character"),

	/** A person's own face and voice, registered by that person. */
	LIKENESS("likeness");

	private final String id;

	CharacterKind(String id) {
		this.id = id;
	}

	public String id() {
		return id;
	}

	public static CharacterKind of(String id) {
		for (var kind : values()) {
			if (kind.id.equals(id)) {
				return kind;
			}
		}
		throw new InvalidMediaException("'kind' is character or likeness; not '" + id + "'.", "kind");
	}
}
