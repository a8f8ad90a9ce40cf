package org.familiar.research;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * How a reply is judged against an item's target. All but {@link #MODEL} are decided here, without
 * a model:
 * <ul>
 * <li>{@code exact}: equal after trimming, collapsing whitespace, dropping a final period, ignoring case;</li>
 * <li>{@code includes}: the target occurs in the reply, ignoring case;</li>
 * <li>{@code regex}: the target, a Java regular expression, is found in the reply;</li>
 * <li>{@code choice}: the letter the reply picks ("B", "(B)", "B) …", "Answer: B") is the target letter;</li>
 * <li>{@code number}: the last number in the reply is within the item's tolerance of the target;</li>
 * <li>{@code model}: a grading model decides, given the target and the rubric.</li>
 * </ul>
 */
public enum Grader {

	EXACT, INCLUDES, REGEX, CHOICE, NUMBER, MODEL;

	private static final Pattern ANSWER_LETTER = Pattern
		.compile("(?i)\\banswer\\s*(?:is|:)?\\s*(?:option\\s*)?\\(?\\b([A-Z])\\b\\)?");

	/** "(B)", "B)", "B.", "B:" at the start, or a reply that is just the letter; not the article in "A cat…". */
	private static final Pattern LEADING_LETTER = Pattern
		.compile("^\\s*(?:\\(([A-Z])\\)|([A-Z])[).:\\]](?:\\s|$)|([A-Z])\\s*$)");

	private static final Pattern NUMBER_IN_TEXT = Pattern.compile("-?\\d[\\d,]*(?:\\.\\d+)?(?:[eE][-+]?\\d+)?|-?\\.\\d+");

	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	public static @Nullable Grader of(String id) {
		for (var grader : values()) {
			if (grader.id().equals(id.strip().toLowerCase(Locale.ROOT))) {
				return grader;
			}
		}
		return null;
	}

	/**
	 * Whether {@code reply} is right.
	 * @throws UnsupportedOperationException for {@link #MODEL}, which needs a model
	 */
	public boolean grade(SuiteItem item, String reply) {
		return switch (this) {
			case EXACT -> normalise(reply).equals(normalise(item.target()));
			case INCLUDES -> reply.toLowerCase(Locale.ROOT).contains(item.target().toLowerCase(Locale.ROOT));
			case REGEX -> Pattern.compile(item.target()).matcher(reply).find();
			case CHOICE -> {
				var chosen = choice(reply);
				yield chosen != null && chosen.equalsIgnoreCase(item.target().strip());
			}
			case NUMBER -> {
				var number = lastNumber(reply);
				yield number != null
						&& number.subtract(new BigDecimal(item.target().strip())).abs().doubleValue() <= item.tolerance();
			}
			case MODEL -> throw new UnsupportedOperationException("The model grader needs a grading model");
		};
	}

	/** The option letter a reply picks, if it clearly picks one. */
	static @Nullable String choice(String reply) {
		Matcher answer = ANSWER_LETTER.matcher(reply);
		if (answer.find()) {
			return answer.group(1).toUpperCase(Locale.ROOT);
		}
		var leading = LEADING_LETTER.matcher(reply);
		if (leading.find()) {
			for (int group = 1; group <= 3; group++) {
				if (leading.group(group) != null) {
					return leading.group(group);
				}
			}
		}
		return null;
	}

	/** The last number written in a reply ("about 1,234.5 km" gives 1234.5). */
	static @Nullable BigDecimal lastNumber(String reply) {
		var matcher = NUMBER_IN_TEXT.matcher(reply);
		String last = null;
		while (matcher.find()) {
			last = matcher.group();
		}
		if (last == null) {
			return null;
		}
		try {
			return new BigDecimal(last.replace(",", ""));
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	private static String normalise(String text) {
		var normal = text.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
		return normal.endsWith(".") ? normal.substring(0, normal.length() - 1).strip() : normal;
	}
}
