package org.familiar.identity;

import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * A person's web app preferences.
 *
 * @param theme {@code system} (follow the device), {@code light} or {@code dark}
 * @param language the UI's language tag ({@code en}, {@code de}); none: the browser's
 * @param defaultModel the model a new chat starts with; none: the server's default
 */
public record Preferences(String theme, @Nullable String language, @Nullable String defaultModel) {

	public static final List<String> THEMES = List.of("system", "light", "dark");

	/** The languages the web app speaks (messages.properties and its translations). */
	public static final List<Locale> LANGUAGES = List.of(Locale.ENGLISH, Locale.GERMAN);

	public static final Preferences DEFAULT = new Preferences("system", null, null);

	public Preferences {
		if (!THEMES.contains(theme)) {
			throw new InvalidAccountException("A theme is one of " + String.join(", ", THEMES) + ".");
		}
		if (language != null && language.isBlank()) {
			language = null;
		}
		var spoken = LANGUAGES.stream().map(Locale::getLanguage).toList();
		if (language != null && !spoken.contains(language)) {
			throw new InvalidAccountException("Familiar speaks " + String.join(", ", spoken) + "; not '" + language + "'.");
		}
		if (defaultModel != null && defaultModel.isBlank()) {
			defaultModel = null;
		}
		if (defaultModel != null && defaultModel.length() > 200) {
			throw new InvalidAccountException("A model name has at most 200 characters.");
		}
	}

	public @Nullable Locale locale() {
		return language == null ? null : Locale.forLanguageTag(language);
	}
}
