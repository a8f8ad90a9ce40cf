package org.familiar.research;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.familiar.compute.ChatMessage;

/**
 * Reads a suite from JSONL: one item a line,
 * {@code {"id", "input": "text" or [{"role", "content"}], "target", "grader", "tolerance"?, "rubric"?}}.
 * Also reads the multiple-choice layouts public harnesses use, turning each into a {@code choice}
 * item whose input lists the options as letters:
 * <ul>
 * <li>MMLU style: {@code {"question", "choices": [...], "answer": 1 or "B"}};</li>
 * <li>ARC style: {@code {"question": {"stem", "choices": [{"label", "text"}]}, "answerKey"}};</li>
 * <li>HellaSwag style: {@code {"ctx", "endings": [...], "label"}}.</li>
 * </ul>
 * Blank lines are skipped. Every problem is reported with its line number, all at once.
 */
public final class SuiteParser {

	private static final ObjectMapper JSON = new ObjectMapper();

	private static final Pattern LETTER = Pattern.compile("[A-Za-z]");

	private SuiteParser() {
	}

	/** As {@link #parse(String, Reader, int)} with the default limit of 20,000 items. */
	public static Suite parse(String name, Reader reader) {
		return parse(name, reader, 20_000);
	}

	/**
	 * @param maxItems the most items a suite may have
	 * @throws InvalidSuiteException listing every problem, by line
	 */
	public static Suite parse(String name, Reader reader, int maxItems) {
		var items = new ArrayList<SuiteItem>();
		var problems = new ArrayList<String>();
		var ids = new HashSet<String>();
		try (var lines = new BufferedReader(reader)) {
			String line;
			int number = 0;
			while ((line = lines.readLine()) != null) {
				number++;
				if (line.isBlank()) {
					continue;
				}
				try {
					var item = item(JSON.readTree(line), number);
					if (!ids.add(item.id())) {
						problems.add("line " + number + ": id '" + item.id() + "' appears more than once");
					}
					else if (items.size() == maxItems) {
						problems.add("line " + number + ": a suite holds at most " + maxItems
								+ " items (familiar.research.max-suite-items)");
						break;
					}
					else {
						items.add(item);
					}
				}
				catch (JsonProcessingException ex) {
					problems.add("line " + number + ": not valid JSON (" + ex.getOriginalMessage() + ")");
				}
				catch (Problem ex) {
					problems.add("line " + number + ": " + ex.getMessage());
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		if (items.isEmpty() && problems.isEmpty()) {
			problems.add("line 1: the suite has no items");
		}
		if (!problems.isEmpty()) {
			throw new InvalidSuiteException(problems);
		}
		return new Suite(name, items);
	}

	private static SuiteItem item(JsonNode node, int line) {
		if (!node.isObject()) {
			throw new Problem("each line must be a JSON object");
		}
		if (!node.has("grader") && !node.has("input")) {
			return multipleChoice(node, line);
		}
		var id = id(node, line);
		var graderName = text(node, "grader");
		var grader = Grader.of(graderName);
		if (grader == null) {
			throw new Problem("unknown grader '" + graderName + "' (exact, includes, regex, choice, number or model)");
		}
		var target = node.path("target");
		if (!target.isTextual() && !target.isNumber()) {
			throw new Problem("'target' must be a string or a number");
		}
		var targetText = target.asText();
		double tolerance = 0;
		switch (grader) {
			case REGEX -> {
				try {
					Pattern.compile(targetText);
				}
				catch (PatternSyntaxException ex) {
					throw new Problem("'target' is not a valid regular expression: " + ex.getDescription());
				}
			}
			case NUMBER -> {
				try {
					new BigDecimal(targetText.strip());
				}
				catch (NumberFormatException ex) {
					throw new Problem("'target' must be a number for the number grader, not '" + targetText + "'");
				}
				var given = node.path("tolerance");
				if (!given.isMissingNode() && (!given.isNumber() || given.asDouble() < 0)) {
					throw new Problem("'tolerance' must be a number of 0 or more");
				}
				tolerance = given.isNumber() ? given.asDouble() : 1e-9;
			}
			case CHOICE -> {
				if (!LETTER.matcher(targetText.strip()).matches()) {
					throw new Problem("'target' must be one letter for the choice grader, not '" + targetText + "'");
				}
				targetText = targetText.strip().toUpperCase(Locale.ROOT);
			}
			case MODEL -> {
				if (node.has("rubric") && !node.path("rubric").isTextual()) {
					throw new Problem("'rubric' must be a string");
				}
			}
			default -> {
			}
		}
		var rubric = node.path("rubric").isTextual() ? node.path("rubric").asText() : null;
		return new SuiteItem(id, input(node.path("input")), targetText, grader, tolerance, rubric);
	}

	private static List<ChatMessage> input(JsonNode input) {
		if (input.isTextual()) {
			if (input.asText().isBlank()) {
				throw new Problem("'input' must not be empty");
			}
			return List.of(ChatMessage.user(input.asText()));
		}
		if (!input.isArray() || input.isEmpty()) {
			throw new Problem("'input' must be a string or a non-empty array of {\"role\", \"content\"} messages");
		}
		var messages = new ArrayList<ChatMessage>();
		for (var message : input) {
			var role = switch (message.path("role").asText("")) {
				case "system" -> ChatMessage.Role.SYSTEM;
				case "user" -> ChatMessage.Role.USER;
				case "assistant" -> ChatMessage.Role.ASSISTANT;
				default -> throw new Problem("a message's 'role' must be system, user or assistant");
			};
			if (!message.path("content").isTextual()) {
				throw new Problem("a message's 'content' must be a string");
			}
			messages.add(new ChatMessage(role, message.path("content").asText()));
		}
		return messages;
	}

	/** The MMLU, ARC and HellaSwag layouts, as choice items. */
	private static SuiteItem multipleChoice(JsonNode node, int line) {
		String question;
		List<String> options = new ArrayList<>();
		String answer;
		if (node.path("question").isObject()) {
			question = text(node.path("question"), "stem");
			var labels = new ArrayList<String>();
			for (var choice : node.path("question").path("choices")) {
				labels.add(choice.path("label").asText());
				options.add(choice.path("text").asText());
			}
			var key = text(node, "answerKey");
			int index = labels.indexOf(key);
			if (index < 0) {
				throw new Problem("'answerKey' " + key + " is not one of the choices' labels " + labels);
			}
			answer = letter(index);
		}
		else if (node.has("ctx") && node.has("endings")) {
			question = text(node, "ctx");
			node.path("endings").forEach(ending -> options.add(ending.asText()));
			answer = answer(node.path("label"), options.size());
		}
		else if (node.has("question") && node.has("choices")) {
			question = text(node, "question");
			node.path("choices").forEach(choice -> options.add(choice.asText()));
			answer = answer(node.path("answer"), options.size());
		}
		else {
			throw new Problem("an item needs 'input' and 'grader' (or a multiple-choice layout: question/choices/answer, "
					+ "question.stem/choices/answerKey, or ctx/endings/label)");
		}
		if (options.size() < 2 || options.size() > 26) {
			throw new Problem("a multiple-choice item needs 2 to 26 choices");
		}
		var text = new StringBuilder(question.strip()).append('\n');
		for (int i = 0; i < options.size(); i++) {
			text.append(letter(i)).append(". ").append(options.get(i).strip()).append('\n');
		}
		text.append("Answer with the letter of the correct option.");
		var id = node.has("id") ? id(node, line) : "line-" + line;
		return new SuiteItem(id, List.of(ChatMessage.user(text.toString())), answer, Grader.CHOICE, 0, null);
	}

	private static String answer(JsonNode answer, int options) {
		int index;
		if (answer.isInt() || answer.isTextual() && answer.asText().matches("\\d+")) {
			index = Integer.parseInt(answer.asText());
		}
		else if (answer.isTextual() && LETTER.matcher(answer.asText()).matches()) {
			index = answer.asText().toUpperCase(Locale.ROOT).charAt(0) - 'A';
		}
		else {
			throw new Problem("the answer must be an option's index or letter, not " + answer);
		}
		if (index < 0 || index >= options) {
			throw new Problem("the answer " + answer + " is not one of the " + options + " choices");
		}
		return letter(index);
	}

	private static String letter(int index) {
		return String.valueOf((char) ('A' + index));
	}

	private static String id(JsonNode node, int line) {
		var id = node.path("id");
		if (!id.isTextual() && !id.isNumber() || id.asText().isBlank()) {
			throw new Problem("'id' is missing (a string or a number)");
		}
		if (id.asText().length() > 200) {
			throw new Problem("'id' is longer than 200 characters");
		}
		return id.asText();
	}

	private static String text(JsonNode node, String field) {
		var value = node.path(field);
		if (!value.isTextual() || value.asText().isBlank()) {
			throw new Problem("'" + field + "' is missing or not a string");
		}
		return value.asText();
	}

	/** One line's problem; the parser adds the line number. */
	private static final class Problem extends RuntimeException {

		Problem(String message) {
			super(message);
		}
	}
}
