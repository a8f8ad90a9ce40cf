package org.familiar.media.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.familiar.identity.PersonId;
import org.familiar.media.Audience;
import org.familiar.media.Character;
import org.jspecify.annotations.Nullable;

/**
 * Which registered characters and likenesses a request uses, and whether their holders' rules
 * allow it: a pure function of the registry, the prompt, the reference images and the caller.
 *
 * <p>A request uses a character when its prompt names it (its name or an alias as a whole word or
 * phrase, in any case, or {@code @handle}) or when one of its reference images is the same
 * picture as one of the character's ({@link ImageHash}). For each, in order: its holder may
 * always use it; a withdrawn entry refuses everyone else; otherwise the audience decides (only the
 * holder, people they approved, everyone), then its forbidden themes (a word or phrase of the
 * prompt). The first refusal decides the request.
 */
public final class RightsCheck {

	private RightsCheck() {
	}

	/** A registry entry with its reference images' hashes. */
	public record Registered(Character character, List<Long> references) {
	}

	/**
	 * @param grant {@code holder}, {@code approved} or {@code everyone}: why it was allowed
	 */
	public record Grant(Character character, String grant) {

		public String label() {
			return character.name() + " (" + grant + ")";
		}
	}

	/** @param pictured whether a reference image, not the prompt, named it */
	public record Refusal(Character character, String rule, String message, boolean pictured) {

		Refusal(Character character, String rule, String message) {
			this(character, rule, message, false);
		}

		Refusal pictured(boolean by) {
			return new Refusal(character, rule, message, by);
		}
	}

	/** The grants used (all of them when allowed), or the refusal. */
	public record Decision(List<Grant> grants, @Nullable Refusal refusal) {

		public boolean allowed() {
			return refusal == null;
		}
	}

	public static Decision check(List<Registered> registry, String prompt, List<Long> references, PersonId caller,
			String username) {
		var grants = new ArrayList<Grant>();
		for (var entry : registry) {
			var character = entry.character();
			boolean named = named(character, prompt);
			if (!named && !pictured(entry, references)) {
				continue;
			}
			var refusal = refusal(character, prompt, caller, username);
			if (refusal != null) {
				return new Decision(List.of(), refusal.pictured(!named));
			}
			grants.add(new Grant(character, character.holder().equals(caller) ? "holder"
					: character.audience() == Audience.APPROVED ? "approved" : "everyone"));
		}
		return new Decision(grants, null);
	}

	private static @Nullable Refusal refusal(Character character, String prompt, PersonId caller, String username) {
		var what = character.kind() == org.familiar.media.CharacterKind.LIKENESS ? "likeness" : "character";
		if (character.holder().equals(caller)) {
			return null;
		}
		if (character.withdrawn()) {
			return new Refusal(character, "withdrawn", "The holder of the " + what + " '" + character.name()
					+ "' has withdrawn permission to use it.");
		}
		if (character.audience() == Audience.ONLY_ME) {
			return new Refusal(character, "only_holder", "The " + what + " '" + character.name()
					+ "' may be used by its holder only.");
		}
		if (character.audience() == Audience.APPROVED
				&& character.approved().stream().noneMatch(approved -> approved.equalsIgnoreCase(username))) {
			return new Refusal(character, "not_approved", "The " + what + " '" + character.name()
					+ "' may be used only by people its holder approved, and you are not one of them.");
		}
		for (var theme : character.forbiddenThemes()) {
			if (!theme.isBlank() && containsTerm(prompt, theme)) {
				return new Refusal(character, "forbidden_theme", "The holder of the " + what + " '" + character.name()
						+ "' does not allow it with the theme '" + theme + "'.");
			}
		}
		return null;
	}

	static boolean named(Character character, String prompt) {
		if (containsTerm(prompt, character.name())) {
			return true;
		}
		for (var alias : character.aliases()) {
			if (!alias.isBlank() && containsTerm(prompt, alias)) {
				return true;
			}
		}
		return Pattern.compile("@" + Pattern.quote(character.handle()) + "(?![\\p{L}\\p{N}_-])",
				Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE).matcher(prompt).find();
	}

	private static boolean pictured(Registered entry, List<Long> references) {
		for (long given : references) {
			for (long registered : entry.references()) {
				if (ImageHash.samePicture(given, registered)) {
					return true;
				}
			}
		}
		return false;
	}

	/** Whether the text holds the term as a whole word or phrase, in any case, with any spacing. */
	static boolean containsTerm(String text, String term) {
		var words = term.strip().toLowerCase(Locale.ROOT).split("\\s+");
		var regex = new StringBuilder("(?<![\\p{L}\\p{N}])");
		for (int i = 0; i < words.length; i++) {
			if (i > 0) {
				regex.append("\\s+");
			}
			regex.append(Pattern.quote(words[i]));
		}
		regex.append("(?![\\p{L}\\p{N}])");
		return Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE).matcher(text).find();
	}
}
