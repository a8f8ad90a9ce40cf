package org.familiar.research;

import java.util.List;

/** A suite file with problems; each problem names its line ("line 3: …"). */
public class InvalidSuiteException extends RuntimeException {

	private final List<String> problems;

	public InvalidSuiteException(List<String> problems) {
		super(problems.size() == 1 ? problems.getFirst()
				: problems.size() + " problems:\n" + String.join("\n", problems.subList(0, Math.min(problems.size(), 20)))
						+ (problems.size() > 20 ? "\n… and " + (problems.size() - 20) + " more" : ""));
		this.problems = List.copyOf(problems);
	}

	public List<String> problems() {
		return problems;
	}
}
