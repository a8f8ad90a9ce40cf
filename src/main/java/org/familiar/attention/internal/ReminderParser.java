package org.familiar.attention.internal;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a reminder in what a person wrote in English: "remind me at 5pm to call mum", "remind me
 * to call mum tomorrow at 9:30", "remind me in 20 minutes to take the pizza out", "can you remind
 * me to water the plants tonight". A time of day already past today means tomorrow; "tomorrow"
 * alone means 9:00, "tonight" 20:00. Without a time there is no reminder (the model's reply can
 * ask for one).
 */
public final class ReminderParser {

	/** What to be reminded of, and when. */
	public record Reminder(String what, Instant due) {
	}

	private static final Pattern ASK = Pattern.compile("(?i)\\bremind\\s+me\\b(.*)", Pattern.DOTALL);

	private static final Pattern IN = Pattern.compile(
			"(?i)\\bin\\s+(\\d{1,4}|an?|one|half an)\\s*(minutes?|mins?|hours?|hrs?|days?)\\b");

	private static final Pattern AT = Pattern.compile(
			"(?i)\\b(?:(today|tonight|tomorrow)\\s+)?(?:at|by|around)\\s+(\\d{1,2})(?::(\\d{2}))?\\s*(am|pm|a\\.m\\.|p\\.m\\.)?(?:\\s+(today|tonight|tomorrow))?\\b");

	private static final Pattern BARE = Pattern.compile(
			"(?i)\\b(?:(today|tonight|tomorrow)\\s+)?(\\d{1,2})(?::(\\d{2}))?\\s*(am|pm|a\\.m\\.|p\\.m\\.)(?:\\s+(today|tonight|tomorrow))?\\b");

	private static final Pattern DAY = Pattern.compile("(?i)\\b(tomorrow|tonight)\\b");

	private ReminderParser() {
	}

	public static Optional<Reminder> parse(String text, Instant now, ZoneId zone) {
		var ask = ASK.matcher(text);
		if (!ask.find()) {
			return Optional.empty();
		}
		var rest = ask.group(1);
		Instant due = null;
		String when = null;
		var in = IN.matcher(rest);
		var at = AT.matcher(rest);
		var bare = BARE.matcher(rest);
		if (in.find()) {
			due = now.plus(amount(in.group(1), in.group(2)));
			when = in.group();
		}
		else if (at.find() || bare.find()) {
			var time = matched(at) ? at : bare;
			var local = clock(time);
			if (local == null) {
				return Optional.empty();
			}
			var day = time.group(1) != null ? time.group(1) : time.group(5);
			due = at(now, zone, local, day);
			// "at 5" with neither am nor pm, nor minutes: whichever five o'clock comes first.
			if (time.group(4) == null && time.group(3) == null && local.getHour() >= 1 && local.getHour() < 12 && day == null) {
				var evening = at(now, zone, local.plusHours(12), null);
				due = evening.isBefore(due) ? evening : due;
			}
			when = time.group();
		}
		else {
			var day = DAY.matcher(rest);
			if (day.find()) {
				var tonight = day.group(1).equalsIgnoreCase("tonight");
				due = at(now, zone, tonight ? LocalTime.of(20, 0) : LocalTime.of(9, 0), day.group(1));
				when = day.group();
			}
		}
		if (due == null) {
			return Optional.empty();
		}
		var what = rest.replace(when, " ").replaceAll("\\s+", " ").strip();
		what = what.replaceFirst("(?i)^(to|that|about|of)\\s+", "").replaceAll("[\\s.!?,;:]+$", "").strip();
		what = what.replaceFirst("(?i)\\s+(please|pls)$", "");
		if (what.isEmpty()) {
			return Optional.empty();
		}
		return Optional.of(new Reminder(what.length() > 180 ? what.substring(0, 179) + "…" : what, due));
	}

	/** Whether the matcher's last find succeeded (a failed find leaves no match to ask for). */
	private static boolean matched(Matcher matcher) {
		try {
			matcher.start();
			return true;
		}
		catch (IllegalStateException none) {
			return false;
		}
	}

	private static Duration amount(String count, String unit) {
		var lower = unit.toLowerCase(Locale.ROOT);
		var n = switch (count.toLowerCase(Locale.ROOT)) {
			case "a", "an", "one" -> 1.0;
			case "half an" -> 0.5;
			default -> Double.parseDouble(count);
		};
		var minutes = lower.startsWith("min") ? n : lower.startsWith("h") ? n * 60 : n * 60 * 24;
		return Duration.ofSeconds(Math.round(minutes * 60));
	}

	private static LocalTime clock(Matcher time) {
		int hour = Integer.parseInt(time.group(2));
		int minute = time.group(3) == null ? 0 : Integer.parseInt(time.group(3));
		var half = time.group(4) == null ? null : time.group(4).toLowerCase(Locale.ROOT).replace(".", "");
		if (minute > 59 || hour > 23 || half != null && (hour < 1 || hour > 12)) {
			return null;
		}
		if ("pm".equals(half) && hour < 12) {
			hour += 12;
		}
		else if ("am".equals(half) && hour == 12) {
			hour = 0;
		}
		return LocalTime.of(hour, minute);
	}

	/** {@code time} on the day named, or today, or tomorrow if that is past. */
	private static Instant at(Instant now, ZoneId zone, LocalTime time, String day) {
		var today = now.atZone(zone).toLocalDate();
		LocalDate date = "tomorrow".equalsIgnoreCase(day) ? today.plusDays(1) : today;
		if ("tonight".equalsIgnoreCase(day) && time.getHour() < 12) {
			time = time.plusHours(12);
		}
		var due = ZonedDateTime.of(date, time, zone).toInstant();
		return due.isAfter(now) ? due : ZonedDateTime.of(date.plusDays(1), time, zone).toInstant();
	}
}
