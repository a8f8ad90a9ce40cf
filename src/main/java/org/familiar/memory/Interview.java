package org.familiar.memory;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The onboarding interview: a few questions Familiar asks a new person in chat; each answer
 * becomes a memory (source {@code onboarding}). It can be redone any time.
 */
public final class Interview {

	/**
	 * A question, what it asks about (to write an answer down as said) and the kind of memory its
	 * answer makes.
	 */
	public record Question(String text, String topic, MemoryKind kind) {

		/** The answer as the person said it, until a model has written it down properly. */
		String asSaid(String answer) {
			return "Asked " + topic + ", said: \u201c" + answer.strip() + "\u201d";
		}
	}

	public static final List<Question> QUESTIONS = List.of(
			new Question("Hi, I'm Familiar! Let's get to know each other — five quick questions, and you can skip any "
					+ "by saying \"skip\". First: what should I call you?", "what to call them", MemoryKind.PREFERENCE),
			new Question("What do you do — work, study, or something else entirely?", "what they do", MemoryKind.FACT),
			new Question("How do you like things explained — short and direct, step by step, or like you're five?",
					"how they like things explained", MemoryKind.PREFERENCE),
			new Question("What are you into lately — hobbies, projects, topics?", "what they are into lately",
					MemoryKind.FACT),
			new Question("Anything I should always keep in mind — diet, accessibility, things to avoid?",
					"what to always keep in mind", MemoryKind.PREFERENCE));

	public static final String DONE = "Thanks — that's all! I've saved what you told me as memories; you can see, "
			+ "edit or forget them on the Memory page any time. What would you like to talk about?";

	private static final Set<String> SKIPS = Set.of("", "skip", "pass", "no", "none", "nothing", "-", "n/a");

	private Interview() {
	}

	static boolean skipped(String answer) {
		return SKIPS.contains(answer.strip().toLowerCase(Locale.ROOT).replaceAll("[.!]+$", ""));
	}

	/** The question after answering {@code step} (0-based), or {@code null} when that was the last. */
	public static @Nullable String next(int step) {
		return step + 1 < QUESTIONS.size() ? QUESTIONS.get(step + 1).text() : null;
	}
}
