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

	/** A question and how its answer is written down. */
	public record Question(String text, String memory, MemoryKind kind) {

		String remember(String answer) {
			return memory.formatted(answer.strip().replaceAll("[.!]+$", ""));
		}
	}

	public static final List<Question> QUESTIONS = List.of(
			new Question("Hi, I'm Familiar! Let's get to know each other — five quick questions, and you can skip any "
					+ "by saying \"skip\". First: what should I call you?", "Wants to be called %s.", MemoryKind.PREFERENCE),
			new Question("What do you do — work, study, or something else entirely?", "Work or study: %s.",
					MemoryKind.FACT),
			new Question("How do you like things explained — short and direct, step by step, or like you're five?",
					"Likes explanations %s.", MemoryKind.PREFERENCE),
			new Question("What are you into lately — hobbies, projects, topics?", "Interested in %s.", MemoryKind.FACT),
			new Question("Anything I should always keep in mind — diet, accessibility, things to avoid?",
					"Always keep in mind: %s.", MemoryKind.PREFERENCE));

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
