package org.familiar.attention.internal;

import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.familiar.assistant.MessageNotes;
import org.familiar.attention.AttentionManagement;
import org.familiar.identity.Caller;
import org.springframework.stereotype.Component;

/**
 * Reminders from chat: "remind me at 5pm to call mum" becomes a notification from Familiar due
 * then, in the person's time zone, shown under the message as understood and changed or cancelled
 * on the Attention page.
 */
@Component
class Reminders implements MessageNotes {

	private final AttentionManagement attention;

	private final java.time.Clock clock;

	Reminders(AttentionManagement attention, java.time.Clock clock) {
		this.attention = attention;
		this.clock = clock;
	}

	@Override
	public List<Note> read(Caller caller, UUID message, String text) {
		if (caller.connected() != null) {
			return List.of();
		}
		var zone = attention.rules(caller.person()).zone();
		return ReminderParser.parse(text, clock.instant(), zone)
			.map(found -> note(attention.remind(caller.person(), found.what(), found.due(), "message:" + message), zone))
			.map(List::of)
			.orElse(List.of());
	}

	@Override
	public Map<UUID, List<Note>> notes(Caller caller, Collection<UUID> messages) {
		var zone = attention.rules(caller.person()).zone();
		var notes = new java.util.HashMap<UUID, List<Note>>();
		attention.bySource(caller.person(), messages.stream().map(id -> "message:" + id).toList()).forEach((ref, found) ->
				notes.put(UUID.fromString(ref.substring("message:".length())), found.stream().map(n -> note(n, zone)).toList()));
		return notes;
	}

	private static Note note(org.familiar.attention.Notification reminder, java.time.ZoneId zone) {
		var when = DateTimeFormatter.ofPattern("EEE d MMM, HH:mm", Locale.ENGLISH).withZone(zone)
			.format(reminder.deliverAt() != null ? reminder.deliverAt() : reminder.createdAt());
		var what = reminder.title().startsWith(AttentionManagement.REMINDER) ? reminder.title().substring(AttentionManagement.REMINDER.length())
				: reminder.title();
		var cancelled = "cancelled".equals(reminder.action());
		return new Note((cancelled ? "Reminder cancelled: " : "Reminder set for " + when + ": ") + what,
				"/attention#n-" + reminder.id());
	}
}
