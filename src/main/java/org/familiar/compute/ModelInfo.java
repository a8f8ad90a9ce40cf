package org.familiar.compute;

/**
 * A model Familiar offers.
 *
 * @param id the name clients ask for
 * @param backend the backend serving it
 * @param available whether the backend is healthy (or, for the embedded engine, the model is present)
 * @param status a short human-readable state ("ready", "unreachable: …", "not downloaded")
 * @param kind {@link #CHAT}, {@link #EMBEDDING}, {@link #IMAGE} or {@link #VIDEO}: what the backend's
 *     configuration says ({@code image-models}, {@code video-models}), else what the name says
 *     ({@link #kindOf}), since OpenAI's list does not say what a model does
 */
public record ModelInfo(String id, String backend, boolean available, String status, String kind) {

	public static final String CHAT = "chat";

	public static final String EMBEDDING = "embedding";

	/** Makes images ({@code /v1/images/generations}). */
	public static final String IMAGE = "image";

	/** Makes videos as jobs ({@code /v1/videos}). */
	public static final String VIDEO = "video";

	public ModelInfo(String id, String backend, boolean available, String status) {
		this(id, backend, available, status, CHAT);
	}

	public boolean chat() {
		return CHAT.equals(kind);
	}

	/**
	 * What a discovered model does, by its name: "embed" embeds; Sora or "video" makes videos;
	 * DALL·E, GPT Image, Stable Diffusion, SDXL, FLUX or "image" makes images; anything else chats.
	 */
	public static String kindOf(String model) {
		var name = model.toLowerCase(java.util.Locale.ROOT);
		if (name.contains("embed")) {
			return EMBEDDING;
		}
		if (name.contains("sora") || name.contains("video")) {
			return VIDEO;
		}
		if (name.contains("dall-e") || name.contains("gpt-image") || name.contains("stable-diffusion") || name.contains("sdxl")
				|| name.contains("flux") || name.contains("image")) {
			return IMAGE;
		}
		return CHAT;
	}
}
