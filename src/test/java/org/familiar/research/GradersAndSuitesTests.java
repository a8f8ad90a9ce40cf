package org.familiar.research;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.util.List;
import org.familiar.compute.ChatMessage;
import org.junit.jupiter.api.Test;

/** Every grader, the suite format with its line-numbered errors, the imported layouts and the interval. */
class GradersAndSuitesTests {

	private static SuiteItem item(Grader grader, String target) {
		return new SuiteItem("1", List.of(ChatMessage.user("q")), target, grader, 0.01, null);
	}

	@Test
	void exactIgnoresCaseSpacingAndAFinalPeriod() {
		assertThat(Grader.EXACT.grade(item(Grader.EXACT, "Paris"), "  paris. ")).isTrue();
		assertThat(Grader.EXACT.grade(item(Grader.EXACT, "New  York"), "new york")).isTrue();
		assertThat(Grader.EXACT.grade(item(Grader.EXACT, "Paris"), "It is Paris")).isFalse();
	}

	@Test
	void includesLooksForTheTargetAnywhere() {
		assertThat(Grader.INCLUDES.grade(item(Grader.INCLUDES, "paris"), "The capital is PARIS, of course.")).isTrue();
		assertThat(Grader.INCLUDES.grade(item(Grader.INCLUDES, "Lyon"), "The capital is Paris.")).isFalse();
	}

	@Test
	void regexFindsThePattern() {
		assertThat(Grader.REGEX.grade(item(Grader.REGEX, "\\b19(69|70)\\b"), "It landed in 1969.")).isTrue();
		assertThat(Grader.REGEX.grade(item(Grader.REGEX, "^\\d+$"), "42 apples")).isFalse();
	}

	@Test
	void choiceReadsTheLetterThePersonWouldRead() {
		var b = item(Grader.CHOICE, "B");
		for (var reply : List.of("B", "(B)", "B) Lisbon", "B. Lisbon", "The answer is B.", "Answer: (b)", "I think the answer is option B")) {
			assertThat(Grader.CHOICE.grade(b, reply)).as(reply).isTrue();
		}
		for (var reply : List.of("A cat sat on the mat", "C", "I am not sure", "")) {
			assertThat(Grader.CHOICE.grade(b, reply)).as(reply).isFalse();
		}
	}

	@Test
	void numberTakesTheLastNumberWithinTolerance() {
		var pi = new SuiteItem("1", List.of(ChatMessage.user("q")), "3.14159", Grader.NUMBER, 0.001, null);
		assertThat(Grader.NUMBER.grade(pi, "Roughly 3 digits: 3.1416")).isTrue();
		assertThat(Grader.NUMBER.grade(pi, "3.15")).isFalse();
		var big = new SuiteItem("2", List.of(ChatMessage.user("q")), "1234.5", Grader.NUMBER, 0, null);
		assertThat(Grader.NUMBER.grade(big, "It is 1,234.5 km")).isTrue();
		assertThat(Grader.NUMBER.grade(big, "no idea")).isFalse();
		var negative = new SuiteItem("3", List.of(ChatMessage.user("q")), "-40", Grader.NUMBER, 0, null);
		assertThat(Grader.NUMBER.grade(negative, "-40 degrees")).isTrue();
	}

	@Test
	void theModelGraderNeedsAModel() {
		assertThatThrownBy(() -> Grader.MODEL.grade(item(Grader.MODEL, "x"), "x")).isInstanceOf(UnsupportedOperationException.class);
	}

	@Test
	void readsTheNativeFormat() {
		var suite = SuiteParser.parse("mix", new StringReader("""
				{"id": "capital", "input": "Capital of France?", "target": "Paris", "grader": "exact"}

				{"id": 2, "input": [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "2+2?"}], "target": 4, "grader": "number", "tolerance": 0.5}
				{"id": "essay", "input": "Why is the sky blue?", "target": "Rayleigh scattering", "grader": "model", "rubric": "Mentions scattering of short wavelengths."}
				{"id": "pick", "input": "A or B?", "target": "b", "grader": "choice"}
				"""));
		assertThat(suite.items()).extracting(SuiteItem::id).containsExactly("capital", "2", "essay", "pick");
		assertThat(suite.items().get(1).input()).hasSize(2);
		assertThat(suite.items().get(1).tolerance()).isEqualTo(0.5);
		assertThat(suite.items().get(2).rubric()).contains("scattering");
		assertThat(suite.items().get(3).target()).isEqualTo("B");
	}

	@Test
	void importsTheCommonMultipleChoiceLayouts() {
		var suite = SuiteParser.parse("mc", new StringReader("""
				{"question": "Largest planet?", "choices": ["Mars", "Jupiter", "Venus", "Earth"], "answer": 1}
				{"id": "arc-7", "question": {"stem": "Water boils at?", "choices": [{"label": "1", "text": "50 C"}, {"label": "2", "text": "100 C"}]}, "answerKey": "2"}
				{"ctx": "She opened the umbrella because", "endings": ["it was sunny", "it was raining"], "label": "1"}
				{"question": "Pick D", "choices": ["w", "x", "y", "z"], "answer": "D"}
				"""));
		assertThat(suite.items()).extracting(SuiteItem::target).containsExactly("B", "B", "B", "D");
		assertThat(suite.items()).allMatch(i -> i.grader() == Grader.CHOICE);
		assertThat(suite.items().getFirst().id()).isEqualTo("line-1");
		assertThat(suite.items().get(1).id()).isEqualTo("arc-7");
		assertThat(suite.items().getFirst().input().getFirst().content()).contains("A. Mars\nB. Jupiter\nC. Venus\nD. Earth")
			.endsWith("Answer with the letter of the correct option.");
	}

	@Test
	void reportsEveryProblemWithItsLine() {
		assertThatThrownBy(() -> SuiteParser.parse("bad", new StringReader("""
				{"id": "a", "input": "q", "target": "x", "grader": "exact"}
				{"id": "a", "input": "q", "target": "x", "grader": "exact"}
				{"id": "b", "input": "q", "target": "x", "grader": "vibes"}
				{"id": "c", "input": "q", "target": "([", "grader": "regex"}
				{"id": "d", "input": "q", "target": "lots", "grader": "number"}
				{"id": "e", "input": "q", "target": "AB", "grader": "choice"}
				{"input": "q", "target": "x", "grader": "exact"}
				not json at all
				{"id": "f", "input": [], "target": "x", "grader": "exact"}
				{"question": "q", "choices": ["a", "b"], "answer": 5}
				""")))
			.isInstanceOf(InvalidSuiteException.class)
			.satisfies(ex -> assertThat(((InvalidSuiteException) ex).problems()).containsExactly(
					"line 2: id 'a' appears more than once",
					"line 3: unknown grader 'vibes' (exact, includes, regex, choice, number or model)",
					"line 4: 'target' is not a valid regular expression: Unclosed character class",
					"line 5: 'target' must be a number for the number grader, not 'lots'",
					"line 6: 'target' must be one letter for the choice grader, not 'AB'",
					"line 7: 'id' is missing (a string or a number)",
					"line 8: not valid JSON (Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false'))",
					"line 9: 'input' must be a string or a non-empty array of {\"role\", \"content\"} messages",
					"line 10: the answer 5 is not one of the 2 choices"));
		assertThatThrownBy(() -> SuiteParser.parse("empty", new StringReader("\n\n")))
			.hasMessage("line 1: the suite has no items");
	}

	@Test
	void theNgramCheckFlagsItemsWhoseTextIsInTheCorpus() throws Exception {
		var suite = SuiteParser.parse("leaky", new StringReader("""
				{"id": "leaked", "input": "The quick brown fox jumps over the lazy dog near the quiet river bank today", "target": "yes", "grader": "exact"}
				{"id": "fresh", "input": "An entirely original question that no corpus has ever seen before anywhere at all", "target": "no", "grader": "exact"}
				"""));
		var corpus = new StringReader("Some text.\nTHE QUICK brown fox, jumps over the lazy dog -- near the quiet river bank; it was\ntoday a fine day.");
		var report = NgramOverlap.check(suite, corpus, 13);
		assertThat(report.flagged()).containsExactly("leaked");
		assertThat(report.fraction()).isEqualTo(0.5);
		assertThat(NgramOverlap.check(suite, new StringReader("the quick brown fox"), 13).flagged()).isEmpty();
	}

	@Test
	void theIntervalIsABootstrapAroundTheAccuracy() {
		var all = new boolean[50];
		java.util.Arrays.fill(all, true);
		assertThat(Accuracy.of(all, 1)).isEqualTo(new Accuracy(50, 50, 1.0, 1.0, 1.0));
		var half = new boolean[200];
		for (int i = 0; i < half.length; i += 2) {
			half[i] = true;
		}
		var accuracy = Accuracy.of(half, 7);
		assertThat(accuracy.accuracy()).isEqualTo(0.5);
		// The normal approximation gives ±0.069 for n = 200; the bootstrap lands close to it.
		assertThat(accuracy.low()).isBetween(0.42, 0.45);
		assertThat(accuracy.high()).isBetween(0.55, 0.58);
		assertThat(Accuracy.of(half, 7)).isEqualTo(accuracy);
	}
}
