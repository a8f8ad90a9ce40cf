package org.familiar.plans;

/** What media is metered in, beside tokens. */
public enum MediaUnit {

	/** One generated image. */
	IMAGES("images"),

	/** One second of generated video. */
	VIDEO_SECONDS("video_seconds");

	private final String id;

	MediaUnit(String id) {
		this.id = id;
	}

	public String id() {
		return id;
	}
}
