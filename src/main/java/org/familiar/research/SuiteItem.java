package org.familiar.research;

import java.util.List;
import org.familiar.compute.ChatMessage;
import org.jspecify.annotations.Nullable;

/**
 * One item of a suite: what the model is asked, the expected answer and how it is graded.
 *
 * @param tolerance for {@link Grader#NUMBER}: how far from the target still counts (absolute)
 * @param rubric for {@link Grader#MODEL}: what the grading model is told to look for
 */
public record SuiteItem(String id, List<ChatMessage> input, String target, Grader grader, double tolerance,
		@Nullable String rubric) {

	public SuiteItem {
		input = List.copyOf(input);
	}
}
