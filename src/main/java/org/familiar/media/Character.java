package org.familiar.media;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.familiar.identity.PersonId;
import org.jspecify.annotations.Nullable;

/**
 * A registered character or likeness and its holder's rules.
 *
 * @param handle how a prompt names it as {@code @handle}; unique, lower case
 * @param aliases other names a prompt may use for it
 * @param approved usernames the holder approved, for {@link Audience#APPROVED}
 * @param forbiddenThemes words or phrases that may not appear in a prompt that uses it
 * @param attribution text every file made with it carries, empty for none
 * @param featureMe whether the holder wants it suggested to people who may use it
 * @param withdrawnAt when the holder withdrew every permission, or {@code null}
 * @param references how many reference images it has
 */
public record Character(UUID id, PersonId holder, CharacterKind kind, String name, String handle, List<String> aliases,
		String description, Audience audience, List<String> approved, List<String> forbiddenThemes, String attribution,
		boolean featureMe, @Nullable Instant withdrawnAt, Instant createdAt, int references) {

	public Character {
		aliases = List.copyOf(aliases);
		approved = List.copyOf(approved);
		forbiddenThemes = List.copyOf(forbiddenThemes);
	}

	public boolean withdrawn() {
		return withdrawnAt != null;
	}

	/**
	 * What a holder fills in.
	 * @param handle without the {@code @}; letters, digits, {@code _} and {@code -}
	 */
	public record Rules(CharacterKind kind, String name, String handle, List<String> aliases, String description,
			Audience audience, List<String> approved, List<String> forbiddenThemes, String attribution, boolean featureMe) {

		public Rules {
			aliases = List.copyOf(aliases);
			approved = List.copyOf(approved);
			forbiddenThemes = List.copyOf(forbiddenThemes);
		}
	}

	/**
	 * One time someone asked to use it, as its holder sees it.
	 * @param rule the rule that decided ({@code allowed} uses say which grant)
	 */
	@com.fasterxml.jackson.databind.annotation.JsonNaming(com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy.class)
	public record Use(Instant at, String username, boolean allowed, String rule, String detail, String prompt,
			@Nullable UUID file) {
	}
}
