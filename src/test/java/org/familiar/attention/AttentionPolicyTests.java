package org.familiar.attention;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.familiar.attention.AttentionPolicy.Device;
import org.familiar.attention.AttentionPolicy.History;
import org.familiar.attention.AttentionPolicy.Incoming;
import org.familiar.attention.AttentionPolicy.Learned;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The attention policy with a fixed clock: a person in Berlin with a phone, a watch and a kitchen
 * speaker, quiet hours 22:00–07:00, digests at 12:00 and 18:00, meetings critical only. Each row
 * is a situation (what the devices report), an urgency, and the decision with its device and the
 * words of its reason.
 */
class AttentionPolicyTests {

	static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

	/** Wednesday 2 December 2026, 14:30 in Berlin. */
	static final Instant AFTERNOON = Instant.parse("2026-12-02T13:30:00Z");

	static final AttentionRules RULES = new AttentionRules(BERLIN, LocalTime.of(22, 0), LocalTime.of(7, 0),
			List.of(LocalTime.NOON, LocalTime.of(18, 0)), true, Set.of("app:spam"));

	final AttentionPolicy policy = new AttentionPolicy(Duration.ofMinutes(30), Duration.ofMinutes(2));

	static DeviceContext context(@Nullable String activity, @Nullable String screen) {
		return new DeviceContext(activity, null, screen, null, null, AFTERNOON.minusSeconds(60));
	}

	static List<Device> devices(DeviceContext phone, @Nullable DeviceContext watch, @Nullable DeviceContext speaker) {
		return List.of(new Device("p", "Phone", "phone", phone), new Device("w", "Watch", "watch", watch),
				new Device("s", "Kitchen speaker", "speaker", speaker));
	}

	static Arguments row(String situation, List<Device> devices, Urgency urgency, String decision, @Nullable String device,
			String reason) {
		return Arguments.of(situation, devices, urgency, decision, device, reason);
	}

	static Stream<Arguments> table() {
		var free = devices(context("free", "on"), context("free", "none"), context(null, "none"));
		var pocket = devices(context("working", "off"), context("working", "none"), context(null, "none"));
		var meeting = devices(context("meeting", "off"), context("meeting", "none"), context(null, "none"));
		var driving = devices(context("driving", "off"), context("driving", "none"), null);
		var asleep = devices(context("sleeping", "off"), context("sleeping", "none"), context(null, "none"));
		var stale = List.of(new Device("p", "Phone", "phone",
				new DeviceContext("meeting", null, "on", null, null, AFTERNOON.minus(Duration.ofHours(2)))));
		var focus = devices(new DeviceContext("working", true, "on", null, null, AFTERNOON.minusSeconds(60)), null, null);
		var withCar = Stream.concat(driving.stream(), Stream.of(new Device("c", "Car", "car", context("driving", "on")))).toList();
		return Stream.of(
				row("free, phone screen on", free, Urgency.NORMAL, "now", "p", "now on Phone: its screen is on"),
				row("free, phone screen on", free, Urgency.HIGH, "now", "p", "now on Phone"),
				row("free, phone screen on", free, Urgency.LOW, "digest", null, "held: low urgency; in your 18:00 digest"),
				row("free, phone screen on", free, Urgency.CRITICAL, "now", "p", "now on Phone: critical"),
				row("phone in the pocket", pocket, Urgency.NORMAL, "now", "w", "now on Watch: your phone's screen is off"),
				row("phone in the pocket", pocket, Urgency.LOW, "digest", null, "held: low urgency"),
				row("in a meeting", meeting, Urgency.NORMAL, "digest", null, "held: you were in a meeting; in your 18:00 digest"),
				row("in a meeting", meeting, Urgency.HIGH, "digest", null, "held: you were in a meeting"),
				row("in a meeting", meeting, Urgency.CRITICAL, "now", "w", "now on Watch: critical"),
				row("driving", driving, Urgency.NORMAL, "digest", null, "held: you were driving"),
				row("driving", driving, Urgency.HIGH, "digest", null, "held: you were driving"),
				row("driving", driving, Urgency.CRITICAL, "now", "w", "now on Watch: critical"),
				row("driving, with the car linked", withCar, Urgency.CRITICAL, "now", "c", "now on Car: critical"),
				row("asleep", asleep, Urgency.HIGH, "digest", null, "held: you were asleep"),
				row("asleep", asleep, Urgency.CRITICAL, "now", "w", "now on Watch: critical"),
				row("focusing", focus, Urgency.NORMAL, "digest", null, "held: you were focusing"),
				row("focusing", focus, Urgency.HIGH, "now", "p", "now on Phone"),
				row("a meeting reported two hours ago (stale)", stale, Urgency.NORMAL, "now", "p",
						"now on Phone: nothing is known of where you are"),
				row("no device linked", List.of(), Urgency.NORMAL, "now", null, "now in the web app: no device is linked"));
	}

	@ParameterizedTest(name = "{0}, {2} → {3} {4}")
	@MethodSource("table")
	void decidesByContextAndUrgency(String situation, List<Device> devices, Urgency urgency, String decision,
			@Nullable String device, String reason) {
		var decided = policy.decide(new Incoming("app:chat", "Chat", urgency, null, null), devices, RULES, History.NONE, AFTERNOON);
		assertThat(decided.kind().id()).as(situation).isEqualTo(decision);
		assertThat(decided.device()).as(situation).isEqualTo(device);
		assertThat(decided.reason()).as(situation).startsWith(reason);
		if (decision.equals("digest")) {
			assertThat(decided.deliverAt()).isEqualTo(Instant.parse("2026-12-02T17:00:00Z"));
		}
	}

	@Test
	void aSpeakerSpeaksOnlyWhenNoOneIsInAMeeting() {
		var speakerOnly = List.of(new Device("s", "Kitchen speaker", "speaker", context(null, "none")),
				new Device("p", "Phone", "phone", context("free", "none")));
		assertThat(policy.decide(new Incoming("app:chat", "Chat", Urgency.NORMAL, null, null), speakerOnly, RULES, History.NONE,
				AFTERNOON).device()).isEqualTo("s");
		var meeting = List.of(new Device("s", "Kitchen speaker", "speaker", context(null, "none")),
				new Device("l", "Laptop", "desktop", context("meeting", "none")));
		var critical = policy.decide(new Incoming("app:chat", "Chat", Urgency.CRITICAL, null, null), meeting, RULES, History.NONE,
				AFTERNOON);
		assertThat(critical.device()).isEqualTo("l");
	}

	@Test
	void quietHoursHoldAllButCriticalUntilMorning() {
		var night = Instant.parse("2026-12-02T22:30:00Z"); // 23:30 in Berlin
		var free = devices(context("free", "on"), null, null).stream()
			.map(d -> new Device(d.id(), d.name(), d.kind(), d.context() == null ? null
					: new DeviceContext("free", null, "on", null, null, night.minusSeconds(10))))
			.toList();
		var held = policy.decide(new Incoming("app:chat", "Chat", Urgency.HIGH, null, null), free, RULES, History.NONE, night);
		assertThat(held.kind()).isEqualTo(AttentionPolicy.Kind.DIGEST);
		assertThat(held.reason()).isEqualTo("held: quiet hours until 07:00; in your 12:00 digest");
		assertThat(held.deliverAt()).isEqualTo(Instant.parse("2026-12-03T11:00:00Z"));
		assertThat(policy.decide(new Incoming("app:chat", "Chat", Urgency.CRITICAL, null, null), free, RULES, History.NONE, night)
			.kind()).isEqualTo(AttentionPolicy.Kind.NOW);
	}

	@Test
	void expiredRepeatedAndMutedOnesAreDropped() {
		var free = devices(context("free", "on"), null, null);
		assertThat(policy.decide(new Incoming("app:chat", "Chat", Urgency.CRITICAL, null, AFTERNOON.minusSeconds(1)), free, RULES,
				History.NONE, AFTERNOON).reason()).isEqualTo("dropped: it expired at 14:29");
		assertThat(policy.decide(new Incoming("app:chat", "Chat", Urgency.HIGH, null, null), free, RULES,
				new History(true, null, Map.of()), AFTERNOON).reason()).startsWith("dropped: a repeat");
		assertThat(policy.decide(new Incoming("app:spam", "Spam", Urgency.HIGH, null, null), free, RULES, History.NONE, AFTERNOON)
			.reason()).isEqualTo("dropped: you muted Spam");
	}

	@Test
	void aBurstFromOneSenderIsMergedAtTheCooldownsEnd() {
		var free = devices(context("free", "on"), null, null);
		var merged = policy.decide(new Incoming("app:chat", "Chat", Urgency.NORMAL, null, null), free, RULES,
				new History(false, AFTERNOON.minusSeconds(30), Map.of()), AFTERNOON);
		assertThat(merged.kind()).isEqualTo(AttentionPolicy.Kind.NOW);
		assertThat(merged.deliverAt()).isEqualTo(AFTERNOON.plusSeconds(90));
		assertThat(merged.reason()).isEqualTo("merged: Chat sent another within 2 min; shown together at 14:31");
		var later = policy.decide(new Incoming("app:chat", "Chat", Urgency.NORMAL, null, null), free, RULES,
				new History(false, AFTERNOON.minusSeconds(121), Map.of()), AFTERNOON);
		assertThat(later.deliverAt()).isNull();
	}

	@Test
	void whatWasLearnedShiftsDecisions() {
		var free = devices(context("free", "on"), null, null);
		var quietSender = new History(false, null, Map.of(AttentionPolicy.senderKey("app:chat"), Learned.QUIET));
		assertThat(policy.decide(new Incoming("app:chat", "Chat", Urgency.HIGH, null, null), free, RULES, quietSender, AFTERNOON)
			.kind()).isEqualTo(AttentionPolicy.Kind.DROP);
		assertThat(policy.decide(new Incoming("app:chat", "Chat", Urgency.CRITICAL, null, null), free, RULES, quietSender, AFTERNOON)
			.kind()).as("critical gets through what was learned").isEqualTo(AttentionPolicy.Kind.NOW);
		var prompt = new History(false, null, Map.of(AttentionPolicy.senderKey("app:chat"), Learned.PROMPT));
		assertThat(policy.decide(new Incoming("app:chat", "Chat", Urgency.LOW, null, null), free, RULES, prompt, AFTERNOON)
			.reason()).isEqualTo("now on Phone: you always open these");
		var newsInTheAfternoon = new History(false, null, Map.of(AttentionPolicy.daypartKey("news", "afternoon"), Learned.QUIET));
		assertThat(policy.decide(new Incoming("app:paper", "Paper", Urgency.NORMAL, "news", null), free, RULES, newsInTheAfternoon,
				AFTERNOON).reason()).isEqualTo("held: you usually dismiss news in the afternoon; in your 18:00 digest");
		assertThat(policy.decide(new Incoming("app:paper", "Paper", Urgency.NORMAL, "news", null), free, RULES, newsInTheAfternoon,
				Instant.parse("2026-12-02T18:00:00Z")).kind()).as("in the evening").isEqualTo(AttentionPolicy.Kind.NOW);
	}
}
