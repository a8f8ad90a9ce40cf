package org.familiar.media;

/**
 * A request names a registered character or likeness whose holder's rules do not allow it: a 403
 * {@code rights_restricted} naming the rule. Nothing was made or charged.
 */
public class RightsRestrictedException extends RuntimeException {

	private final String rule;

	private final String character;

	private final String param;

	/** @param param what named it: {@code prompt}, or the field of the reference image */
	public RightsRestrictedException(String rule, String character, String message, String param) {
		super(message);
		this.rule = rule;
		this.character = character;
		this.param = param;
	}

	public String param() {
		return param;
	}

	/** {@code withdrawn}, {@code only_holder}, {@code not_approved} or {@code forbidden_theme}. */
	public String rule() {
		return rule;
	}

	public String character() {
		return character;
	}
}
