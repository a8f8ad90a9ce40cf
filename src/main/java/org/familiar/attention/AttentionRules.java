package org.familiar.attention;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A person's own rules for their attention.
 *
 * @param zone the time zone their quiet hours, digests and reminders are in
 * @param quietFrom start of quiet hours (only critical notifications), or none
 * @param quietUntil their end (may be after midnight: 22:00 to 07:00)
 * @param digestTimes when held notifications are summed up, at least one, in order
 * @param meetingsCriticalOnly never show anything but critical ones during a meeting
 * @param muted senders whose notifications are dropped ({@code app:CLIENT_ID}, {@code familiar}, {@code you})
 */
public record AttentionRules(ZoneId zone, @Nullable LocalTime quietFrom, @Nullable LocalTime quietUntil,
		List<LocalTime> digestTimes, boolean meetingsCriticalOnly, Set<String> muted) {

	public static final int MAX_DIGESTS = 6;

	public AttentionRules {
		if ((quietFrom == null) != (quietUntil == null)) {
			throw new InvalidAttentionException("Quiet hours need both a start and an end (or neither).");
		}
		if (quietFrom != null && quietFrom.equals(quietUntil)) {
			throw new InvalidAttentionException("Quiet hours must not start and end at the same time.");
		}
		digestTimes = digestTimes.stream().map(t -> t.withSecond(0).withNano(0)).distinct().sorted().toList();
		if (digestTimes.isEmpty() || digestTimes.size() > MAX_DIGESTS) {
			throw new InvalidAttentionException("Give 1 to " + MAX_DIGESTS + " digest times.");
		}
		muted = Set.copyOf(muted);
	}

	public static AttentionRules defaults(ZoneId zone) {
		return new AttentionRules(zone, LocalTime.of(22, 0), LocalTime.of(7, 0), List.of(LocalTime.NOON, LocalTime.of(18, 0)),
				true, Set.of());
	}

	/** Whether {@code at} falls in quiet hours. */
	public boolean quiet(Instant at) {
		if (quietFrom == null || quietUntil == null) {
			return false;
		}
		var time = at.atZone(zone).toLocalTime();
		return quietFrom.isBefore(quietUntil) ? !time.isBefore(quietFrom) && time.isBefore(quietUntil)
				: !time.isBefore(quietFrom) || time.isBefore(quietUntil);
	}

	/** The first digest strictly after {@code at}. */
	public Instant nextDigest(Instant at) {
		var local = at.atZone(zone);
		for (int day = 0; day < 2; day++) {
			for (var time : digestTimes) {
				var candidate = ZonedDateTime.of(local.toLocalDate().plusDays(day), time, zone).toInstant();
				if (candidate.isAfter(at)) {
					return candidate;
				}
			}
		}
		throw new IllegalStateException("no digest within two days");
	}

	/** The end of the quiet hours {@code at} falls in. */
	public Instant quietEnds(Instant at) {
		var local = at.atZone(zone);
		var end = ZonedDateTime.of(local.toLocalDate(), quietUntil == null ? LocalTime.MIDNIGHT : quietUntil, zone);
		return end.toInstant().isAfter(at) ? end.toInstant() : end.plusDays(1).toInstant();
	}
}
