package org.familiar.attention;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Decides, for one notification, whether to show it now and on which device, keep it for the next
 * digest, or drop it, with the reason in plain words. A pure function of what it is given (the
 * notification, every device with its context, the person's rules, what was sent before, what
 * Familiar learned, and the time), so the same situation always gets the same answer.
 *
 * <p>In order: expired, repeated (same dedupe key) or muted → drop; a sender the person always
 * dismisses → drop (not critical ones); critical → now, on the device best placed to reach them;
 * driving, sleeping, quiet hours, a meeting (if the person's rule says so), focus (below high) or
 * low urgency (unless the person always opens that sender's) → the next digest; a sender that was
 * shown within the cooldown → now, merged into one with the others at the cooldown's end;
 * otherwise now.
 */
public final class AttentionPolicy {

	public enum Kind {
		NOW, DIGEST, DROP;

		public String id() {
			return name().toLowerCase(java.util.Locale.ROOT);
		}
	}

	/** A notification as it comes in. */
	public record Incoming(String sender, String senderName, Urgency urgency, @Nullable String topic,
			@Nullable Instant expiresAt) {
	}

	/** A linked device and its latest context (none if it never reported one). */
	public record Device(String id, String name, String kind, @Nullable DeviceContext context) {
	}

	/** What Familiar learned from acknowledgements: {@link Learned#QUIET} or {@link Learned#PROMPT} per key. */
	public enum Learned {
		/** Always dismissed: a sender's are dropped, a topic's (at a time of day) kept for the digest. */
		QUIET,
		/** Always opened: shown now even when low. */
		PROMPT
	}

	/**
	 * What came before: whether this is a repeat, when the sender was last shown, and what was
	 * learned, keyed by {@link #senderKey}, {@link #topicKey} and {@link #daypartKey}.
	 */
	public record History(boolean repeat, @Nullable Instant senderLastShown, @Nullable Instant senderPending,
			Map<String, Learned> learned) {

		public static final History NONE = new History(false, null, null, Map.of());

		public History(boolean repeat, @Nullable Instant senderLastShown, Map<String, Learned> learned) {
			this(repeat, senderLastShown, null, learned);
		}
	}

	/** The decision: now (on a device, or in the web app when none is linked), digest or drop, and why. */
	public record Decision(Kind kind, @Nullable String device, @Nullable String deviceName, String reason,
			@Nullable Instant deliverAt) {
	}

	private final Duration staleAfter;

	private final Duration cooldown;

	public AttentionPolicy(Duration staleAfter, Duration cooldown) {
		this.staleAfter = staleAfter;
		this.cooldown = cooldown;
	}

	public static String senderKey(String sender) {
		return "sender:" + sender;
	}

	public static String topicKey(String topic) {
		return "topic:" + topic;
	}

	public static String daypartKey(String topic, String daypart) {
		return "topic:" + topic + "@" + daypart;
	}

	/** morning (5–12), afternoon (12–17), evening (17–22) or night. */
	public static String daypart(int hour) {
		return hour >= 5 && hour < 12 ? "morning" : hour >= 12 && hour < 17 ? "afternoon" : hour >= 17 && hour < 22 ? "evening"
				: "night";
	}

	public Decision decide(Incoming incoming, List<Device> devices, AttentionRules rules, History history, Instant now) {
		var clock = DateTimeFormatter.ofPattern("HH:mm").withZone(rules.zone());
		if (incoming.expiresAt() != null && !incoming.expiresAt().isAfter(now)) {
			return drop("dropped: it expired at " + clock.format(incoming.expiresAt()));
		}
		if (history.repeat()) {
			return drop("dropped: a repeat of one " + incoming.senderName() + " already sent (same dedupe key)");
		}
		if (rules.muted().contains(incoming.sender())) {
			return drop("dropped: you muted " + incoming.senderName());
		}
		var critical = incoming.urgency() == Urgency.CRITICAL;
		if (!critical && history.learned().get(senderKey(incoming.sender())) == Learned.QUIET) {
			return drop("dropped: you dismissed every recent one from " + incoming.senderName()
					+ " (a preference Familiar learned; change it on your Memory page)");
		}
		var fresh = devices.stream()
			.filter(d -> d.context() != null && d.context().reportedAt().plus(staleAfter).isAfter(now))
			.map(Device::context)
			.toList();
		var driving = fresh.stream().anyMatch(c -> c.is("driving"));
		var sleeping = fresh.stream().anyMatch(c -> c.is("sleeping"));
		var meeting = fresh.stream().anyMatch(c -> c.is("meeting"));
		if (critical) {
			return now(incoming, devices, now, meeting, driving, "critical");
		}
		var digest = rules.nextDigest(now);
		var in = "in your " + clock.format(digest) + " digest";
		if (driving) {
			return held("held: you were driving; " + in, digest);
		}
		if (sleeping) {
			return held("held: you were asleep; " + in, digest);
		}
		if (rules.quiet(now)) {
			return held("held: quiet hours until " + clock.format(rules.quietEnds(now)) + "; " + in, digest);
		}
		if (meeting && rules.meetingsCriticalOnly()) {
			return held("held: you were in a meeting; " + in, digest);
		}
		if (incoming.urgency().compareTo(Urgency.HIGH) < 0 && fresh.stream().anyMatch(c -> Boolean.TRUE.equals(c.focus()))) {
			return held("held: you were focusing; " + in, digest);
		}
		var prompt = history.learned().get(senderKey(incoming.sender())) == Learned.PROMPT;
		if (incoming.urgency() == Urgency.LOW && !prompt) {
			return held("held: low urgency; " + in, digest);
		}
		if (incoming.topic() != null && incoming.urgency() != Urgency.HIGH && !prompt) {
			var part = daypart(now.atZone(rules.zone()).getHour());
			if (history.learned().get(daypartKey(incoming.topic(), part)) == Learned.QUIET) {
				return held("held: you usually dismiss " + incoming.topic() + " in the " + part + "; " + in, digest);
			}
			if (history.learned().get(topicKey(incoming.topic())) == Learned.QUIET) {
				return held("held: you usually dismiss " + incoming.topic() + "; " + in, digest);
			}
		}
		var shown = history.senderLastShown();
		if (history.senderPending() != null || shown != null && shown.plus(cooldown).isAfter(now)) {
			// Joins the burst already waiting, or starts one at the end of the cooldown.
			var at = history.senderPending() != null ? history.senderPending() : shown.plus(cooldown);
			var decision = now(incoming, devices, now, meeting, driving, null);
			return new Decision(Kind.NOW, decision.device(), decision.deviceName(), "merged: " + incoming.senderName()
					+ " sent another within " + cooldown.toMinutes() + " min; shown together at " + clock.format(at), at);
		}
		return now(incoming, devices, now, meeting, driving, prompt ? "you always open these" : null);
	}

	/** Now, on the device best placed to reach the person, for something due now (a digest, a reminder). */
	public Decision place(List<Device> devices, Instant now, String because) {
		var fresh = devices.stream()
			.filter(d -> d.context() != null && d.context().reportedAt().plus(staleAfter).isAfter(now))
			.map(Device::context)
			.toList();
		return now(null, devices, now, fresh.stream().anyMatch(c -> c.is("meeting")),
				fresh.stream().anyMatch(c -> c.is("driving")), because);
	}

	private static Decision drop(String reason) {
		return new Decision(Kind.DROP, null, null, reason, null);
	}

	private static Decision held(String reason, Instant digest) {
		return new Decision(Kind.DIGEST, null, null, reason, digest);
	}

	/** Now, on the device best placed to reach the person. */
	private Decision now(@Nullable Incoming incoming, List<Device> devices, Instant now, boolean meeting, boolean driving,
			@Nullable String because) {
		var chosen = best(devices, now, meeting, driving);
		if (chosen.isEmpty()) {
			return new Decision(Kind.NOW, null, null,
					"now in the web app: " + (devices.isEmpty() ? "no device is linked" : "no device can show it")
							+ (because == null ? "" : " (" + because + ")"), null);
		}
		var why = because != null ? because : chosen.get().why();
		return new Decision(Kind.NOW, chosen.get().device().id(), chosen.get().device().name(),
				"now on " + chosen.get().device().name() + ": " + why, null);
	}

	private record Ranked(Device device, int score, String why, Instant seen) {
	}

	private Optional<Ranked> best(List<Device> devices, Instant now, boolean meeting, boolean driving) {
		var phoneDark = devices.stream().anyMatch(d -> "phone".equals(d.kind()) && fresh(d, now) && "off".equals(d.context().screen()));
		return devices.stream()
			.map(d -> rank(d, now, meeting, driving, phoneDark))
			.filter(r -> r.score() > 0)
			.max(Comparator.comparingInt(Ranked::score).thenComparing(Ranked::seen));
	}

	private Ranked rank(Device device, Instant now, boolean meeting, boolean driving, boolean phoneDark) {
		var context = fresh(device, now) ? device.context() : null;
		var seen = device.context() == null ? Instant.EPOCH : device.context().reportedAt();
		var kind = device.kind();
		if ("speaker".equals(kind) && meeting) {
			return new Ranked(device, 0, "", seen);
		}
		if (driving) {
			return switch (kind) {
				case "car" -> new Ranked(device, 60, "you are driving", seen);
				// A speaker at home does not reach someone in a car; one that says it is driving along does.
				case "speaker" -> new Ranked(device, context != null && context.is("driving") ? 40 : 0, "you are driving: read aloud", seen);
				case "watch" -> new Ranked(device, 20, "you are driving: on your wrist", seen);
				default -> new Ranked(device, 1, "you are driving", seen);
			};
		}
		if ("car".equals(kind)) {
			return new Ranked(device, context != null && context.is("driving") ? 60 : 0, "", seen);
		}
		if (context == null) {
			// Nothing known of it lately: a phone is likeliest to be with the person, a speaker least.
			var likely = switch (kind) {
				case "phone" -> 4;
				case "watch", "desktop" -> 3;
				case "speaker" -> 1;
				default -> 2;
			};
			return new Ranked(device, likely, "nothing is known of where you are, and it is likeliest to reach you", seen);
		}
		if ("on".equals(context.screen())) {
			return new Ranked(device, 50, "its screen is on", seen);
		}
		if ("watch".equals(kind)) {
			return new Ranked(device, phoneDark ? 40 : 30, phoneDark ? "your phone's screen is off" : "on your wrist", seen);
		}
		if ("speaker".equals(kind)) {
			return new Ranked(device, 8, "no screen is on, so it is read aloud", seen);
		}
		if ("off".equals(context.screen())) {
			return new Ranked(device, 10, "its screen is off, so it waits on the lock screen", seen);
		}
		return new Ranked(device, 5, "the device that was active last", seen);
	}

	private boolean fresh(Device device, Instant now) {
		return device.context() != null && device.context().reportedAt().plus(staleAfter).isAfter(now);
	}
}
