package org.familiar.media.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.familiar.identity.PersonId;
import org.familiar.media.Audience;
import org.familiar.media.Character;
import org.familiar.media.CharacterKind;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The rights check as a pure function: what names an entry, and each rule in its order. */
class RightsCheckTests {

	final PersonId holder = new PersonId(UUID.randomUUID());

	final PersonId ann = new PersonId(UUID.randomUUID());

	Character comet(Audience audience, List<String> approved, @Nullable Instant withdrawn) {
		return new Character(UUID.randomUUID(), holder, CharacterKind.CHARACTER, "Captain Comet", "comet", List.of("the Comet", "Кометa"),
				"", audience, approved, List.of("war", "dark magic"), "© Studio", false, withdrawn, Instant.EPOCH, 0);
	}

	RightsCheck.Decision check(Character character, String prompt, List<Long> references, List<Long> registered) {
		return RightsCheck.check(List.of(new RightsCheck.Registered(character, registered)), prompt, references, ann, "ann");
	}

	RightsCheck.Decision check(Character character, String prompt) {
		return check(character, prompt, List.of(), List.of());
	}

	@Test
	void aNameAliasOrHandleInAnyCaseAndSpacingNamesIt() {
		var everyone = comet(Audience.EVERYONE, List.of(), null);
		for (var prompt : List.of("Captain Comet flies", "captain   COMET", "the comet!", "hi @Comet.", "(Кометa)", "CAPTAIN\ncomet")) {
			assertThat(check(everyone, prompt).grants()).as(prompt).hasSize(1);
		}
		for (var prompt : List.of("a comet tail", "Captain Comets", "@cometary", "the cometh", "captaincomet")) {
			assertThat(check(everyone, prompt).grants()).as(prompt).isEmpty();
		}
	}

	@Test
	void theRulesApplyInOrderAndTheHolderIsAlwaysAllowed() {
		assertThat(check(comet(Audience.ONLY_ME, List.of(), null), "Captain Comet").refusal().rule()).isEqualTo("only_holder");
		assertThat(check(comet(Audience.APPROVED, List.of("bob"), null), "Captain Comet").refusal().rule()).isEqualTo("not_approved");
		var approved = check(comet(Audience.APPROVED, List.of("ANN"), null), "Captain Comet");
		assertThat(approved.allowed()).isTrue();
		assertThat(approved.grants().getFirst().grant()).isEqualTo("approved");
		assertThat(check(comet(Audience.EVERYONE, List.of(), null), "Captain Comet at war").refusal().rule()).isEqualTo("forbidden_theme");
		assertThat(check(comet(Audience.EVERYONE, List.of(), null), "Captain Comet and DARK   magic").refusal().rule())
			.isEqualTo("forbidden_theme");
		assertThat(check(comet(Audience.EVERYONE, List.of(), null), "Captain Comet, no warfare").allowed()).isTrue();
		assertThat(check(comet(Audience.EVERYONE, List.of(), Instant.EPOCH), "Captain Comet").refusal().rule()).isEqualTo("withdrawn");
		var own = RightsCheck.check(List.of(new RightsCheck.Registered(comet(Audience.ONLY_ME, List.of(), Instant.EPOCH), List.of())),
				"Captain Comet at war", List.of(), holder, "holder");
		assertThat(own.allowed()).isTrue();
		assertThat(own.grants().getFirst().grant()).isEqualTo("holder");
	}

	@Test
	void aReferenceImageNamesItWithinTenBitsAndTheRefusalSaysSo() {
		long face = 0x0f0f_0f0f_3c3c_3c3cL;
		var mine = comet(Audience.ONLY_ME, List.of(), null);
		var refused = check(mine, "a portrait", List.of(face ^ 0x3ffL), List.of(face));
		assertThat(refused.refusal().rule()).isEqualTo("only_holder");
		assertThat(refused.refusal().pictured()).isTrue();
		assertThat(check(mine, "a portrait", List.of(face ^ 0x7ffL), List.of(face)).allowed()).as("11 bits apart").isTrue();
		assertThat(check(mine, "Captain Comet", List.of(face), List.of(face)).refusal().pictured()).as("named in the prompt").isFalse();
	}

	@Test
	void theFirstRefusalDecidesAndNothingIsGranted() {
		var open = new Character(UUID.randomUUID(), holder, CharacterKind.CHARACTER, "Moon Rabbit", "rabbit", List.of(), "",
				Audience.EVERYONE, List.of(), List.of(), "", false, null, Instant.EPOCH, 0);
		var closed = comet(Audience.ONLY_ME, List.of(), null);
		var decision = RightsCheck.check(List.of(new RightsCheck.Registered(open, List.of()), new RightsCheck.Registered(closed, List.of())),
				"Moon Rabbit meets Captain Comet", List.of(), ann, "ann");
		assertThat(decision.allowed()).isFalse();
		assertThat(decision.grants()).isEmpty();
		assertThat(decision.refusal().character().name()).isEqualTo("Captain Comet");
	}
}
