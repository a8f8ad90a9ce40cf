package org.familiar.attention.web;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.familiar.attention.AttentionManagement;
import org.familiar.attention.InvalidAttentionException;
import org.familiar.attention.Notification;
import org.familiar.attention.NotificationNotFoundException;
import org.familiar.attention.Urgency;
import org.familiar.identity.CallerPrincipal;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemorySource;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The Attention page: what came in, what was shown where and when and why, the digests, the
 * person's rules, each device with its current context, and the preferences learned from what
 * they opened and dismissed. New notifications appear as they are decided (the page holds the
 * person's event stream).
 */
@Controller
class AttentionPages {

	private final AttentionManagement attention;

	private final MemoryManagement memory;

	private final java.time.Clock clock;

	AttentionPages(AttentionManagement attention, MemoryManagement memory, java.time.Clock clock) {
		this.clock = clock;
		this.attention = attention;
		this.memory = memory;
	}

	@GetMapping("/attention")
	String page(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		var person = me.caller().person();
		var rules = attention.rules(person);
		var notifications = attention.notifications(me.caller(), 100);
		model.addAttribute("devices", attention.devices(person));
		model.addAttribute("rules", rules);
		model.addAttribute("zone", rules.zone());
		model.addAttribute("digestTimes", String.join(", ", rules.digestTimes().stream().map(Object::toString).toList()));
		model.addAttribute("notifications", rows(notifications, rules.zone()));
		var time = java.time.format.DateTimeFormatter.ofPattern("EEE d MMM HH:mm").withZone(rules.zone());
		model.addAttribute("digests", attention.digests(person, 10).stream()
			.map(d -> java.util.Map.entry(time.format(d.dueAt()), d)).toList());
		model.addAttribute("senders", notifications.stream().filter(n -> !Notification.PERSON.equals(n.sender()))
			.map(n -> new Sender(n.sender(), n.senderName(), rules.muted().contains(n.sender()))).distinct().toList());
		model.addAttribute("learned", memory.memories(me.caller(), null, 200).stream()
			.filter(m -> m.source() == MemorySource.ATTENTION).toList());
		return "attention/attention";
	}

	record Sender(String id, String name, boolean muted) {
	}

	/** A notification with its times in the person's zone. */
	record Row(Notification n, String created, @org.jspecify.annotations.Nullable String deliverAt,
			@org.jspecify.annotations.Nullable String deliveredAt, @org.jspecify.annotations.Nullable String dueLocal,
			boolean toCome) {

		/** A reminder still to come, which the person may change or cancel. */
		public boolean changeable() {
			return "reminder".equals(n.topic()) && Notification.FAMILIAR.equals(n.sender()) && n.action() == null
					&& "now".equals(n.decision()) && toCome;
		}

		public String what() {
			return n.title().startsWith(AttentionManagement.REMINDER) ? n.title().substring(AttentionManagement.REMINDER.length()) : n.title();
		}
	}

	private List<Row> rows(List<Notification> notifications, java.time.ZoneId zone) {
		var now = clock.instant();
		var time = java.time.format.DateTimeFormatter.ofPattern("d MMM HH:mm").withZone(zone);
		var local = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm").withZone(zone);
		return notifications.stream().map(n -> new Row(n, time.format(n.createdAt()),
				n.deliverAt() == null ? null : time.format(n.deliverAt()),
				n.deliveredAt() == null ? null : time.format(n.deliveredAt()),
				n.deliverAt() == null ? null : local.format(n.deliverAt()),
				n.deliverAt() != null && n.deliverAt().isAfter(now))).toList();
	}

	/** Just the list of notifications, for the page to refresh when a new one is decided. */
	@GetMapping("/attention/list")
	String list(@AuthenticationPrincipal CallerPrincipal me, Model model) {
		model.addAttribute("notifications", rows(attention.notifications(me.caller(), 100), attention.rules(me.caller().person()).zone()));
		return "attention/attention :: list";
	}

	@PostMapping("/attention/rules")
	String rules(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(defaultValue = "") String zone,
			@RequestParam(name = "quiet_from", defaultValue = "") String quietFrom,
			@RequestParam(name = "quiet_until", defaultValue = "") String quietUntil,
			@RequestParam(name = "digest_times", defaultValue = "") String digestTimes,
			@RequestParam(name = "meetings_critical_only", defaultValue = "false") boolean meetingsCriticalOnly,
			RedirectAttributes redirect) {
		var person = me.caller().person();
		try {
			var current = attention.rules(person);
			attention.saveRules(person, Forms.rules(current, zone.isBlank() ? null : zone, quietFrom.strip(), quietUntil.strip(),
					Arrays.stream(digestTimes.split("[,\\s]+")).filter(t -> !t.isBlank()).toList(), meetingsCriticalOnly, null));
			redirect.addFlashAttribute("notice", "Rules saved.");
		}
		catch (InvalidAttentionException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/attention#rules";
	}

	@PostMapping("/attention/mute")
	String mute(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String sender,
			@RequestParam(defaultValue = "true") boolean muted, RedirectAttributes redirect) {
		var person = me.caller().person();
		var rules = attention.rules(person);
		var senders = new HashSet<>(rules.muted());
		if (muted) {
			senders.add(sender);
		}
		else {
			senders.remove(sender);
		}
		try {
			attention.saveRules(person, Forms.rules(rules, null, null, null, null, null, senders));
			redirect.addFlashAttribute("notice", muted ? "Muted: what it sends is dropped." : "No longer muted.");
		}
		catch (InvalidAttentionException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/attention";
	}

	@PostMapping("/attention/notifications/{id}/ack")
	String ack(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, @RequestParam String action,
			RedirectAttributes redirect) {
		try {
			attention.ack(me.caller(), id, action, null);
		}
		catch (InvalidAttentionException | NotificationNotFoundException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/attention";
	}

	/** Changes what a reminder says and when it is due (a local date and time in the person's zone). */
	@PostMapping("/attention/reminders/{id}")
	String changeReminder(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, @RequestParam String what,
			@RequestParam String due, RedirectAttributes redirect) {
		var person = me.caller().person();
		try {
			var at = java.time.LocalDateTime.parse(due.strip()).atZone(attention.rules(person).zone()).toInstant();
			attention.changeReminder(person, id, what, at);
			redirect.addFlashAttribute("notice", "Reminder changed.");
		}
		catch (java.time.format.DateTimeParseException ex) {
			redirect.addFlashAttribute("error", "Give the reminder a date and time.");
		}
		catch (InvalidAttentionException | NotificationNotFoundException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/attention#n-" + id;
	}

	@PostMapping("/attention/reminders/{id}/cancel")
	String cancelReminder(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, RedirectAttributes redirect) {
		try {
			attention.cancelReminder(me.caller().person(), id);
			redirect.addFlashAttribute("notice", "Reminder cancelled.");
		}
		catch (NotificationNotFoundException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/attention";
	}

	/** A notification to oneself: to try the rules, or as a note. */
	@PostMapping("/attention/send")
	String send(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(defaultValue = "") String title,
			@RequestParam(defaultValue = "normal") String urgency, @RequestParam(defaultValue = "") String body,
			RedirectAttributes redirect) {
		try {
			var sent = attention.notify(me.caller(), new AttentionManagement.Outgoing(title, body.isBlank() ? null : body,
					Urgency.of(urgency), null, null, null));
			redirect.addFlashAttribute("notice", sent.decision() + " — " + sent.reason());
		}
		catch (InvalidAttentionException ex) {
			redirect.addFlashAttribute("error", ex.getMessage());
		}
		return "redirect:/attention";
	}
}
