package org.familiar.attention.web;

import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import org.familiar.attention.AttentionRules;
import org.familiar.attention.InvalidAttentionException;
import org.jspecify.annotations.Nullable;

/** The rules as the API and the Attention page send them: what is left out stays as it was. */
final class Forms {

	static AttentionRules rules(AttentionRules current, @Nullable String zone, @Nullable String quietFrom,
			@Nullable String quietUntil, @Nullable List<String> digestTimes, @Nullable Boolean meetingsCriticalOnly,
			@Nullable Set<String> muted) {
		var noQuiet = "".equals(quietFrom) && "".equals(quietUntil);
		return new AttentionRules(zone == null ? current.zone() : AttentionApi.zone(zone.strip()),
				noQuiet ? null : quietFrom == null ? current.quietFrom() : time("quiet_from", quietFrom),
				noQuiet ? null : quietUntil == null ? current.quietUntil() : time("quiet_until", quietUntil),
				digestTimes == null ? current.digestTimes()
						: digestTimes.stream().filter(t -> t != null && !t.isBlank()).map(t -> time("digest_times", t)).toList(),
				meetingsCriticalOnly == null ? current.meetingsCriticalOnly() : meetingsCriticalOnly,
				muted == null ? current.muted() : muted);
	}

	static LocalTime time(String field, String text) {
		try {
			return LocalTime.parse(text.strip());
		}
		catch (DateTimeParseException ex) {
			throw new InvalidAttentionException(field + " is a time of day such as 18:00; not '" + text + "'.");
		}
	}

	private Forms() {
	}
}
