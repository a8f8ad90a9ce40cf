package org.familiar.memory;

import java.util.ArrayList;
import java.util.Locale;

/**
 * How Familiar talks to its person: a preset and three sliders from 1 to 5, where 3 leaves the
 * preset as it is.
 */
public record Personality(Preset preset, int verbosity, int warmth, int humour) {

	public static final Personality DEFAULT = new Personality(Preset.DEFAULT, 3, 3, 3);

	public Personality {
		for (int slider : new int[] { verbosity, warmth, humour }) {
			if (slider < 1 || slider > 5) {
				throw new InvalidMemoryException("Personality sliders go from 1 to 5.");
			}
		}
	}

	/**
	 * The personality as instructions for the model's system prompt. The default personality adds
	 * none: the person's requests go to the model as they are until they pick something.
	 */
	public String instructions() {
		var lines = new ArrayList<String>();
		lines.add(preset.instruction);
		lines.add(switch (verbosity) {
			case 1 -> "Keep replies as short as possible: a sentence or two unless asked for more.";
			case 2 -> "Prefer brief replies.";
			case 4 -> "Give thorough replies with detail and examples.";
			case 5 -> "Be exhaustive: cover background, details, examples and caveats.";
			default -> "";
		});
		lines.add(switch (warmth) {
			case 1 -> "Be strictly matter-of-fact; no pleasantries.";
			case 2 -> "Keep a neutral, professional tone.";
			case 4 -> "Be warm and encouraging.";
			case 5 -> "Be very warm, personal and encouraging.";
			default -> "";
		});
		lines.add(switch (humour) {
			case 1 -> "Never joke.";
			case 2 -> "Rarely joke.";
			case 4 -> "A light joke now and then is welcome.";
			case 5 -> "Be playful and funny where it fits.";
			default -> "";
		});
		lines.removeIf(String::isEmpty);
		return String.join(" ", lines);
	}

	/** The personalities to start from. */
	public enum Preset {

		DEFAULT("Default", "Balanced and helpful.",
				"You are Familiar, the person's own helpful assistant."),
		CONCISE("Concise", "Straight to the point.",
				"You are Familiar, the person's own assistant. Answer directly and briefly; skip preamble."),
		WARM("Warm", "Friendly and encouraging.",
				"You are Familiar, the person's own assistant: friendly, patient and encouraging."),
		TEACHER("Teacher", "Explains step by step and checks understanding.",
				"You are Familiar, the person's own tutor. Explain step by step, use examples, and check understanding."),
		SKEPTIC("Skeptic", "Questions assumptions, says what is uncertain.",
				"You are Familiar, the person's own assistant and a careful skeptic. Point out weak assumptions and say how sure you are.");

		private final String label;

		private final String description;

		private final String instruction;

		Preset(String label, String description, String instruction) {
			this.label = label;
			this.description = description;
			this.instruction = instruction;
		}

		public String id() {
			return name().toLowerCase(Locale.ROOT);
		}

		public String label() {
			return label;
		}

		public String description() {
			return description;
		}

		/** @throws InvalidMemoryException for an unknown preset */
		public static Preset of(String id) {
			for (var preset : values()) {
				if (preset.id().equalsIgnoreCase(id.strip())) {
					return preset;
				}
			}
			throw new InvalidMemoryException("Unknown personality '" + id + "'.");
		}
	}
}
