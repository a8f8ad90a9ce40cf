package org.familiar.attention;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.familiar.compute.Broadcasts;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.DeviceUnlinked;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.LinkedDevice;
import org.familiar.identity.LinkedDevices;
import org.familiar.identity.PersonId;
import org.familiar.identity.PersonalData;
import org.familiar.identity.ScopeMissingException;
import org.familiar.identity.Scopes;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemorySource;
import org.familiar.plans.PlansManagement;
import org.jspecify.annotations.Nullable;
import org.springframework.context.event.EventListener;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Devices' contexts, the person's rules, notifications and their decisions, delivery events,
 * acknowledgements and what is learned from them, digests. Every query is scoped to its person.
 */
@Service
public class AttentionManagement implements PersonalData {

	/** The topic on which replicas tell each other that a person has new events for their streams. */
	public static final String EVENTS = "attention.events";

	private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AttentionManagement.class);

	static final String DIGEST_INSTRUCTION = "You write a person's notification digest. You are given the notifications "
			+ "that were held for them. Sum them up in at most five short lines, most important first, in plain words. "
			+ "Mention every sender. Do not invent anything.";

	private final JdbcClient jdbc;

	private final TransactionTemplate transactions;

	private final TransactionTemplate ownTransaction;

	private final LinkedDevices linked;

	private final IdentityManagement identity;

	private final MemoryManagement memory;

	private final PlansManagement plans;

	private final Broadcasts broadcasts;

	private final AttentionSettings settings;

	private final AttentionPolicy policy;

	private final Clock clock;

	private final org.familiar.compute.ComputeManagement compute;

	private final ObjectMapper json;

	private final ZoneId defaultZone;

	private final org.familiar.attention.internal.WebPushes pushes;

	private final Cache<PersonId, List<LinkedDevice>> devices = Caffeine.newBuilder()
		.maximumSize(100_000)
		.expireAfterWrite(Duration.ofSeconds(5))
		.build();

	AttentionManagement(JdbcClient jdbc, PlatformTransactionManager transactions, LinkedDevices linked,
			IdentityManagement identity, MemoryManagement memory, PlansManagement plans,
			Broadcasts broadcasts, AttentionSettings settings, Clock clock, ObjectMapper json,
			org.familiar.attention.internal.WebPushes pushes, org.familiar.compute.ComputeManagement compute) {
		this.pushes = pushes;
		this.compute = compute;
		this.jdbc = jdbc;
		this.transactions = new TransactionTemplate(transactions);
		this.ownTransaction = new TransactionTemplate(transactions);
		this.ownTransaction.setPropagationBehavior(org.springframework.transaction.TransactionDefinition.PROPAGATION_REQUIRES_NEW);
		this.linked = linked;
		this.identity = identity;
		this.memory = memory;
		this.plans = plans;
		this.broadcasts = broadcasts;
		this.settings = settings;
		this.clock = clock;
		this.json = json;
		this.policy = new AttentionPolicy(settings.contextStaleAfter(), settings.cooldown());
		this.defaultZone = settings.zone() == null || settings.zone().isBlank() ? ZoneId.systemDefault() : ZoneId.of(settings.zone());
	}

	// ----- devices and contexts -----

	/** A linked device with its latest context (none if it never reported one) and whether that is stale. */
	public record DeviceView(LinkedDevice device, @Nullable DeviceContext context, boolean stale) {
	}

	public List<DeviceView> devices(PersonId person) {
		var contexts = contexts(person);
		var now = clock.instant();
		return linkedDevices(person).stream().map(device -> {
			var context = contexts.get(device.id());
			return new DeviceView(device, context, context == null || !context.reportedAt().plus(settings.contextStaleAfter()).isAfter(now));
		}).toList();
	}

	/**
	 * Records what a device reports (as of now, whatever {@code reportedAt} it carries). The device's own token reports for itself ({@code device}
	 * null); the person (session or personal token) may report for any of their devices.
	 * @throws ScopeMissingException for an app, or a device reporting for another
	 * @throws NotificationNotFoundException if the person has no such device
	 */
	public DeviceView report(Caller caller, @Nullable String device, DeviceContext reported) {
		var id = deviceFor(caller, device);
		var context = new DeviceContext(reported.activity(), reported.focus(), reported.screen(), reported.place(),
				reported.audio(), clock.instant());
		var person = caller.person();
		transactions.executeWithoutResult(tx -> {
			var updated = jdbc.sql("""
					update device_context set activity = :activity, focus = :focus, screen = :screen, place = :place,
					audio = :audio, reported_at = :at where device_id = :id and person_id = :person""")
				.params(contextParams(id, person, context))
				.update();
			if (updated == 0) {
				jdbc.sql("""
						insert into device_context (device_id, person_id, activity, focus, screen, place, audio, reported_at)
						values (:id, :person, :activity, :focus, :screen, :place, :audio, :at)""")
					.params(contextParams(id, person, context))
					.update();
			}
		});
		return devices(person).stream().filter(d -> d.device().id().equals(id)).findFirst()
			.orElseThrow(() -> new NotificationNotFoundException("No such device."));
	}

	private Map<String, Object> contextParams(String id, PersonId person, DeviceContext context) {
		var params = new HashMap<String, Object>();
		params.put("id", id);
		params.put("person", person.value());
		params.put("activity", context.activity());
		params.put("focus", context.focus());
		params.put("screen", context.screen());
		params.put("place", context.place());
		params.put("audio", context.audio());
		params.put("at", context.reportedAt().atOffset(ZoneOffset.UTC));
		return params;
	}

	/** The device a caller acts for: itself for a device, one of theirs by id for the person. */
	private String deviceFor(Caller caller, @Nullable String device) {
		if (device == null) {
			return linked.current(caller).id();
		}
		if (caller.connected() != null && !device.equals(caller.device())) {
			throw new ScopeMissingException(Scopes.DEVICE);
		}
		if (linkedDevices(caller.person()).stream().noneMatch(d -> d.id().equals(device))) {
			throw new NotificationNotFoundException("No such device.");
		}
		return device;
	}

	private List<LinkedDevice> linkedDevices(PersonId person) {
		return devices.get(person, linked::of);
	}

	private Map<String, DeviceContext> contexts(PersonId person) {
		var contexts = new HashMap<String, DeviceContext>();
		jdbc.sql("select device_id, activity, focus, screen, place, audio, reported_at from device_context where person_id = :person")
			.param("person", person.value())
			.query((rs, n) -> contexts.put(rs.getString(1), new DeviceContext(rs.getString(2), (Boolean) rs.getObject(3),
					rs.getString(4), rs.getString(5), rs.getString(6), rs.getObject(7, OffsetDateTime.class).toInstant())))
			.list();
		return contexts;
	}

	@EventListener
	void unlinked(DeviceUnlinked event) {
		devices.invalidate(event.person());
		jdbc.sql("delete from device_context where device_id = :id and person_id = :person")
			.param("id", event.device())
			.param("person", event.person().value())
			.update();
	}

	@EventListener
	void appRevoked(org.familiar.identity.AppRevoked event) {
		devices.invalidate(event.person());
	}

	// ----- rules -----

	public AttentionRules rules(PersonId person) {
		return jdbc.sql("select zone, quiet_from, quiet_until, digest_times, meetings_critical_only, muted from attention_rules where person_id = :person")
			.param("person", person.value())
			.query(AttentionManagement::rules)
			.optional()
			.orElseGet(() -> AttentionRules.defaults(defaultZone));
	}

	private static AttentionRules rules(ResultSet rs, int n) throws SQLException {
		var from = rs.getString(2);
		var until = rs.getString(3);
		return new AttentionRules(ZoneId.of(rs.getString(1)), from == null ? null : LocalTime.parse(from),
				until == null ? null : LocalTime.parse(until),
				Arrays.stream(rs.getString(4).split(",")).map(LocalTime::parse).toList(), rs.getBoolean(5),
				Arrays.stream(rs.getString(6).split("\n")).filter(s -> !s.isBlank()).collect(java.util.stream.Collectors.toSet()));
	}

	public AttentionRules saveRules(PersonId person, AttentionRules rules) {
		var muted = String.join("\n", new java.util.TreeSet<>(rules.muted()));
		if (muted.length() > 4000 || rules.muted().stream().anyMatch(s -> s.length() > 120 || s.contains("\n"))) {
			throw new InvalidAttentionException("Mute at most 30 senders, each named in at most 120 characters.");
		}
		var times = String.join(",", rules.digestTimes().stream().map(t -> t.toString()).toList());
		transactions.executeWithoutResult(tx -> {
			ensureRules(person);
			jdbc.sql("""
					update attention_rules set zone = :zone, quiet_from = :from, quiet_until = :until, digest_times = :times,
					meetings_critical_only = :meetings, muted = :muted where person_id = :person""")
				.param("zone", rules.zone().getId())
				.param("from", rules.quietFrom() == null ? null : rules.quietFrom().toString())
				.param("until", rules.quietUntil() == null ? null : rules.quietUntil().toString())
				.param("times", times)
				.param("meetings", rules.meetingsCriticalOnly())
				.param("muted", muted)
				.param("person", person.value())
				.update();
		});
		return rules(person);
	}

	/** The person's rules row (the defaults the first time), locked: one decision at a time per person. */
	private AttentionRules lockRules(PersonId person) {
		ensureRules(person);
		return jdbc.sql("select zone, quiet_from, quiet_until, digest_times, meetings_critical_only, muted from attention_rules where person_id = :person for update")
			.param("person", person.value())
			.query(AttentionManagement::rules)
			.single();
	}

	/**
	 * Makes the person's rules row (the defaults) if there is none, in a transaction of its own: two
	 * first notifications at once both try, and the loser's duplicate key must not abort the caller's.
	 */
	private void ensureRules(PersonId person) {
		if (jdbc.sql("select count(*) from attention_rules where person_id = :person").param("person", person.value())
			.query(Long.class).single() > 0) {
			return;
		}
		var defaults = AttentionRules.defaults(defaultZone);
		try {
			ownTransaction.executeWithoutResult(tx -> jdbc.sql("""
					insert into attention_rules (person_id, zone, quiet_from, quiet_until, digest_times, meetings_critical_only, muted)
					values (:person, :zone, :from, :until, :times, true, '')""")
				.param("person", person.value())
				.param("zone", defaults.zone().getId())
				.param("from", String.valueOf(defaults.quietFrom()))
				.param("until", String.valueOf(defaults.quietUntil()))
				.param("times", String.join(",", defaults.digestTimes().stream().map(LocalTime::toString).toList()))
				.update());
		}
		catch (DuplicateKeyException another) {
			// Made by the other one: fine.
		}
	}

	// ----- notifications -----

	/** A notification as sent, checked: a title, at most 4,000 characters of body, an urgency. */
	public record Outgoing(String title, @Nullable String body, Urgency urgency, @Nullable String topic,
			@Nullable Instant expiresAt, @Nullable String dedupeKey) {

		public Outgoing {
			title = title == null ? "" : title.strip();
			if (title.isEmpty() || title.length() > 200) {
				throw new InvalidAttentionException("title has 1 to 200 characters.");
			}
			if (body != null && body.length() > 4000) {
				throw new InvalidAttentionException("body has at most 4,000 characters.");
			}
			if (topic != null && (topic.isBlank() || topic.length() > 60)) {
				throw new InvalidAttentionException("topic has 1 to 60 characters.");
			}
			if (dedupeKey != null && (dedupeKey.isBlank() || dedupeKey.length() > 200)) {
				throw new InvalidAttentionException("dedupe_key has 1 to 200 characters.");
			}
			for (var text : new String[] { title, body, topic, dedupeKey }) {
				if (text != null && text.chars().anyMatch(c -> c == 0 || Character.isSurrogate((char) c) && !validSurrogates(text))) {
					throw new InvalidAttentionException("Text may not hold NUL characters or lone surrogates.");
				}
			}
			topic = topic == null ? null : topic.strip().toLowerCase(java.util.Locale.ROOT);
		}

		private static boolean validSurrogates(String text) {
			for (int i = 0; i < text.length(); i++) {
				var c = text.charAt(i);
				if (Character.isHighSurrogate(c) && (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(++i)))
						|| Character.isLowSurrogate(c)) {
					return false;
				}
			}
			return true;
		}
	}

	/**
	 * Takes a notification from the caller: an app (needs {@code familiar.notify}), a device with
	 * that scope, or the person themselves.
	 * @throws ScopeMissingException for an app without {@code familiar.notify}
	 */
	public Notification notify(Caller caller, Outgoing outgoing) {
		var connected = caller.connected();
		if (connected != null && !connected.scopes().contains(Scopes.NOTIFY)) {
			throw new ScopeMissingException(Scopes.NOTIFY);
		}
		return connected != null ? notify(caller.person(), "app:" + connected.clientId(), connected.name(), outgoing)
				: notify(caller.person(), Notification.PERSON, "You", outgoing);
	}

	/** Takes a notification from Familiar itself (an evaluation finished, a reminder, a digest). */
	public Notification notifyFromFamiliar(PersonId person, Outgoing outgoing) {
		return notify(person, Notification.FAMILIAR, "Familiar", outgoing);
	}

	Notification notify(PersonId person, String sender, String senderName, Outgoing outgoing) {
		var id = UUID.randomUUID();
		transactions.executeWithoutResult(tx -> {
			var now = clock.instant();
			var rules = lockRules(person);
			var decision = policy.decide(new AttentionPolicy.Incoming(sender, senderName, outgoing.urgency(), outgoing.topic(),
					outgoing.expiresAt()), policyDevices(person), rules, history(person, sender, outgoing.dedupeKey(), now), now);
			insert(id, person, sender, senderName, outgoing, now, decision);
			if (decision.kind() == AttentionPolicy.Kind.NOW && decision.deliverAt() == null) {
				release(person, List.of(id), decision.device(), now);
			}
		});
		return notification(person, id);
	}

	private List<AttentionPolicy.Device> policyDevices(PersonId person) {
		var contexts = contexts(person);
		return linkedDevices(person).stream()
			.map(d -> new AttentionPolicy.Device(d.id(), d.name(), d.kind(), contexts.get(d.id())))
			.toList();
	}

	private AttentionPolicy.History history(PersonId person, String sender, @Nullable String dedupeKey, Instant now) {
		var repeat = dedupeKey != null && jdbc.sql("""
				select count(*) from notification where person_id = :person and sender = :sender and dedupe_key = :key
				and created_at > :since and decision <> 'drop'""")
			.param("person", person.value())
			.param("sender", sender)
			.param("key", dedupeKey)
			.param("since", now.minus(Duration.ofDays(1)).atOffset(ZoneOffset.UTC))
			.query(Long.class)
			.single() > 0;
		var shown = jdbc.sql("""
				select max(released_at) from notification where person_id = :person and sender = :sender
				and decision = 'now' and released_at > :since""")
			.param("person", person.value())
			.param("sender", sender)
			.param("since", now.minus(settings.cooldown()).atOffset(ZoneOffset.UTC))
			.query((rs, n) -> rs.getObject(1, OffsetDateTime.class))
			.optional()
			.map(OffsetDateTime::toInstant)
			.orElse(null);
		var pending = jdbc.sql("""
				select min(deliver_at) from notification where person_id = :person and sender = :sender
				and decision = 'now' and released_at is null and action is null and deliver_at > :now
				and (topic is null or topic <> 'reminder')""")
			.param("person", person.value())
			.param("sender", sender)
			.param("now", now.atOffset(ZoneOffset.UTC))
			.query((rs, n) -> rs.getObject(1, OffsetDateTime.class))
			.optional()
			.map(OffsetDateTime::toInstant)
			.orElse(null);
		return new AttentionPolicy.History(repeat, shown, pending, learned(person));
	}

	private void insert(UUID id, PersonId person, String sender, String senderName, Outgoing outgoing, Instant now,
			AttentionPolicy.Decision decision) {
		jdbc.sql("""
				insert into notification (id, person_id, sender, sender_name, title, body, urgency, topic, expires_at, dedupe_key,
				created_at, decision, device_id, device_name, reason, deliver_at, released_at)
				values (:id, :person, :sender, :senderName, :title, :body, :urgency, :topic, :expires, :key, :at, :decision,
				:device, :deviceName, :reason, :deliverAt, :released)""")
			.param("released", decision.kind() == AttentionPolicy.Kind.NOW && decision.deliverAt() == null
					? now.atOffset(ZoneOffset.UTC) : null)
			.param("id", id)
			.param("person", person.value())
			.param("sender", sender)
			.param("senderName", senderName.length() > 120 ? senderName.substring(0, 120) : senderName)
			.param("title", outgoing.title())
			.param("body", outgoing.body())
			.param("urgency", outgoing.urgency().id())
			.param("topic", outgoing.topic())
			.param("expires", outgoing.expiresAt() == null ? null : outgoing.expiresAt().atOffset(ZoneOffset.UTC))
			.param("key", outgoing.dedupeKey())
			.param("at", now.atOffset(ZoneOffset.UTC))
			.param("decision", decision.kind().id())
			.param("device", decision.device())
			.param("deviceName", decision.deviceName())
			.param("reason", decision.reason())
			.param("deliverAt", decision.deliverAt() == null ? null : decision.deliverAt().atOffset(ZoneOffset.UTC))
			.update();
	}

	/**
	 * Writes the delivery event for {@code ids} (one event, merged if several) to the device's
	 * stream (and the web app's), and tells every replica's streams.
	 */
	private void release(PersonId person, List<UUID> ids, @Nullable String device, Instant now) {
		var items = ids.stream().map(id -> notification(person, id)).toList();
		var first = items.getFirst();
		var payload = new LinkedHashMap<String, Object>();
		payload.put("id", first.id().toString());
		payload.put("sender", first.senderName());
		payload.put("urgency", items.stream().map(Notification::urgency).max(Enum::compareTo).orElseThrow().id());
		payload.put("topic", first.topic());
		if (items.size() == 1) {
			payload.put("title", first.title());
			payload.put("body", first.body());
		}
		else {
			payload.put("title", items.size() + " from " + first.senderName());
			payload.put("body", String.join("\n", items.stream().map(Notification::title).toList()));
			payload.put("merged", items.stream().map(n -> n.id().toString()).toList());
		}
		payload.put("reason", first.reason());
		if (first.digest() != null) {
			payload.put("digest", first.digest().toString());
		}
		try {
			jdbc.sql("insert into attention_event (person_id, device_id, notification_id, payload, created_at) values (:person, :device, :id, :payload, :at)")
				.param("person", person.value())
				.param("device", device)
				.param("id", first.id())
				.param("payload", json.writeValueAsString(payload))
				.param("at", now.atOffset(ZoneOffset.UTC))
				.update();
		}
		catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
			throw new IllegalStateException(ex);
		}
		broadcasts.publish(EVENTS, person.value().toString());
		if (device == null) {
			// Shown in the web app: to the browsers the person allowed, once this is stored.
			var text = payloadText(payload);
			var urgent = first.urgency().compareTo(Urgency.HIGH) >= 0;
			if (org.springframework.transaction.support.TransactionSynchronizationManager.isSynchronizationActive()) {
				org.springframework.transaction.support.TransactionSynchronizationManager.registerSynchronization(
						new org.springframework.transaction.support.TransactionSynchronization() {
							@Override
							public void afterCommit() {
								pushes.push(person, text, urgent);
							}
						});
			}
			else {
				pushes.push(person, text, urgent);
			}
		}
	}

	private String payloadText(Map<String, Object> payload) {
		try {
			return json.writeValueAsString(payload);
		}
		catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** One event of a stream: its sequence number (the SSE id) and its JSON. */
	public record Event(long seq, @Nullable String device, @Nullable UUID notification, String payload) {
	}

	/**
	 * The events after {@code seq} for a device's stream (only its own), or for the web app's
	 * ({@code device} null: all of the person's), oldest first.
	 */
	public List<Event> events(PersonId person, @Nullable String device, long after, int limit) {
		var sql = device == null
				? "select seq, device_id, notification_id, payload from attention_event where person_id = :person and seq > :after order by seq limit :limit"
				: "select seq, device_id, notification_id, payload from attention_event where person_id = :person and device_id = :device and seq > :after order by seq limit :limit";
		var query = jdbc.sql(sql).param("person", person.value()).param("after", after).param("limit", limit);
		if (device != null) {
			query = query.param("device", device);
		}
		return query.query((rs, n) -> new Event(rs.getLong(1), rs.getString(2), rs.getObject(3, UUID.class), rs.getString(4)))
			.list();
	}

	/**
	 * Where a device's stream starts without a Last-Event-ID: after what it was last sent, but not
	 * further back than {@code familiar.attention.backlog} (what is older is on the Attention page).
	 */
	public long deliveredSeq(PersonId person, String device) {
		var delivered = jdbc.sql("select delivered_seq from device_context where device_id = :device and person_id = :person")
			.param("device", device)
			.param("person", person.value())
			.query(Long.class)
			.optional()
			.orElse(0L);
		var recent = jdbc.sql("select min(seq) from attention_event where person_id = :person and device_id = :device and created_at > :since")
			.param("person", person.value())
			.param("device", device)
			.param("since", clock.instant().minus(settings.backlog()).atOffset(ZoneOffset.UTC))
			.query((rs, n) -> {
				var seq = rs.getLong(1);
				return rs.wasNull() ? -1L : seq;
			})
			.single();
		return recent < 0 ? Math.max(delivered, latestSeq(person)) : Math.max(delivered, recent - 1);
	}

	/** The newest event's number (a web stream starts there). */
	public long latestSeq(PersonId person) {
		return jdbc.sql("select coalesce(max(seq), 0) from attention_event where person_id = :person")
			.param("person", person.value())
			.query(Long.class)
			.single();
	}

	/** A device's stream sent {@code event}: the notification counts as delivered. */
	public void delivered(PersonId person, String device, Event event) {
		var now = clock.instant().atOffset(ZoneOffset.UTC);
		if (event.notification() != null) {
			jdbc.sql("update notification set delivered_at = :now where person_id = :person and device_id = :device and delivered_at is null and released_at is not null and id = :id")
				.param("now", now)
				.param("person", person.value())
				.param("device", device)
				.param("id", event.notification())
				.update();
		}
		var updated = jdbc.sql("update device_context set delivered_seq = :seq where device_id = :device and person_id = :person and delivered_seq < :seq")
			.param("seq", event.seq())
			.param("device", device)
			.param("person", person.value())
			.update();
		if (updated == 0 && deliveredSeq(person, device) == 0) {
			jdbc.sql("""
					insert into device_context (device_id, person_id, reported_at, delivered_seq)
					select :device, :person, :at, :seq where not exists (select 1 from device_context where device_id = :device)""")
				.param("device", device)
				.param("person", person.value())
				.param("at", OffsetDateTime.ofInstant(Instant.EPOCH, ZoneOffset.UTC))
				.param("seq", event.seq())
				.update();
		}
	}

	/**
	 * The caller's notifications, newest first: all of them for the person, those it sent for an
	 * app, those shown on it for a device.
	 */
	public List<Notification> notifications(Caller caller, int limit) {
		var device = caller.device();
		var connected = caller.connected();
		var where = device != null ? " and (device_id = :device or sender = :sender)"
				: connected != null ? " and sender = :sender" : "";
		var query = jdbc.sql("select * from notification where person_id = :person" + where + " order by created_at desc")
			.param("person", caller.person().value());
		if (device != null) {
			query = query.param("device", device);
		}
		if (connected != null) {
			query = query.param("sender", "app:" + connected.clientId());
		}
		return query.query(AttentionManagement::notification).list().stream().limit(Math.max(1, Math.min(limit, 500))).toList();
	}

	/** One of the caller's notifications (by the same rules as the list). */
	public Notification notification(Caller caller, UUID id) {
		var found = notification(caller.person(), id);
		var connected = caller.connected();
		if (connected != null && !("app:" + connected.clientId()).equals(found.sender())
				&& (caller.device() == null || !caller.device().equals(found.device()))) {
			throw new NotificationNotFoundException("No such notification.");
		}
		return found;
	}

	private Notification notification(PersonId person, UUID id) {
		return jdbc.sql("select * from notification where id = :id and person_id = :person")
			.param("id", id)
			.param("person", person.value())
			.query(AttentionManagement::notification)
			.optional()
			.orElseThrow(() -> new NotificationNotFoundException("No such notification."));
	}

	private static Notification notification(ResultSet rs, int n) throws SQLException {
		return new Notification(rs.getObject("id", UUID.class), rs.getString("sender"), rs.getString("sender_name"),
				rs.getString("title"), rs.getString("body"), Urgency.of(rs.getString("urgency")), rs.getString("topic"),
				instant(rs, "expires_at"), rs.getString("dedupe_key"), instant(rs, "created_at"), rs.getString("decision"),
				rs.getString("device_id"), rs.getString("device_name"), rs.getString("reason"), instant(rs, "deliver_at"),
				instant(rs, "delivered_at"), rs.getObject("digest_id", UUID.class), rs.getString("action"),
				instant(rs, "acted_at"));
	}

	private static @Nullable Instant instant(ResultSet rs, String column) throws SQLException {
		var value = rs.getObject(column, OffsetDateTime.class);
		return value == null ? null : value.toInstant();
	}

	// ----- reminders -----

	/** How a reminder's title starts. */
	public static final String REMINDER = "Reminder: ";

	/**
	 * A reminder from Familiar, due at {@code due}: then shown on the device best placed to reach
	 * the person (it is what they asked for, so a meeting does not hold it back).
	 * @param sourceRef what it came from ({@code message:ID} for a chat message)
	 */
	public Notification remind(PersonId person, String what, Instant due, String sourceRef) {
		var id = UUID.randomUUID();
		var zone = rules(person).zone();
		var when = DateTimeFormatter.ofPattern("HH:mm 'on' EEE d MMM", java.util.Locale.ENGLISH).withZone(zone).format(due);
		transactions.executeWithoutResult(tx -> {
			insert(id, person, Notification.FAMILIAR, "Familiar", new Outgoing(REMINDER + what, null, Urgency.HIGH, "reminder", null, null),
					clock.instant(), new AttentionPolicy.Decision(AttentionPolicy.Kind.NOW, null, null,
							"a reminder you asked for, due at " + when, due));
			jdbc.sql("update notification set source_ref = :ref where id = :id").param("ref", sourceRef).param("id", id).update();
		});
		return notification(person, id);
	}

	/**
	 * Changes a reminder that is still to come: what it says and when.
	 * @throws NotificationNotFoundException unless it is the person's and still to come
	 */
	public Notification changeReminder(PersonId person, UUID id, String what, Instant due) {
		var now = clock.instant();
		if (!due.isAfter(now)) {
			throw new InvalidAttentionException("A reminder is due in the future.");
		}
		var title = new Outgoing(REMINDER + what, null, Urgency.HIGH, null, null, null).title();
		var zone = rules(person).zone();
		var when = DateTimeFormatter.ofPattern("HH:mm 'on' EEE d MMM", java.util.Locale.ENGLISH).withZone(zone).format(due);
		var changed = jdbc.sql("""
				update notification set title = :title, deliver_at = :due, reason = :reason where id = :id and person_id = :person
				and topic = 'reminder' and sender = 'familiar' and released_at is null and action is null""")
			.param("title", title)
			.param("due", due.atOffset(ZoneOffset.UTC))
			.param("reason", "a reminder you asked for, due at " + when)
			.param("id", id)
			.param("person", person.value())
			.update();
		if (changed == 0) {
			throw new NotificationNotFoundException("No reminder to come with that id.");
		}
		return notification(person, id);
	}

	/** Cancels a reminder that is still to come. */
	public Notification cancelReminder(PersonId person, UUID id) {
		var cancelled = jdbc.sql("""
				update notification set action = 'cancelled', acted_at = :now, decision = 'drop', reason = 'cancelled by you'
				where id = :id and person_id = :person and topic = 'reminder' and sender = 'familiar' and released_at is null and action is null""")
			.param("now", clock.instant().atOffset(ZoneOffset.UTC))
			.param("id", id)
			.param("person", person.value())
			.update();
		if (cancelled == 0) {
			throw new NotificationNotFoundException("No reminder to come with that id.");
		}
		return notification(person, id);
	}

	/** The person's notifications that came from these sources ({@code message:ID}), by source. */
	public Map<String, List<Notification>> bySource(PersonId person, List<String> refs) {
		if (refs.isEmpty()) {
			return Map.of();
		}
		var found = new HashMap<String, List<Notification>>();
		jdbc.sql("select * from notification where person_id = :person and source_ref in (:refs) order by created_at")
			.param("person", person.value())
			.param("refs", refs)
			.query((rs, n) -> Map.entry(rs.getString("source_ref"), notification(rs, n)))
			.list()
			.forEach(e -> found.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue()));
		return found;
	}

	// ----- acknowledgements and learning -----

	/**
	 * The person opened, dismissed or snoozed a notification (on a device or in the web app). A
	 * snoozed one comes back at {@code until}. What the person does, repeated, becomes a
	 * preference.
	 * @throws ScopeMissingException for an app (only the person and their devices acknowledge)
	 */
	public Notification ack(Caller caller, UUID id, String action, @Nullable Instant until) {
		if (caller.connected() != null && caller.device() == null) {
			throw new ScopeMissingException(Scopes.DEVICE);
		}
		if (!List.of("opened", "dismissed", "snoozed").contains(action)) {
			throw new InvalidAttentionException("action is one of opened, dismissed, snoozed; not '" + action + "'.");
		}
		var now = clock.instant();
		if ("snoozed".equals(action) && (until == null || !until.isAfter(now) || until.isAfter(now.plus(Duration.ofDays(30))))) {
			throw new InvalidAttentionException("A snooze needs \"until\": a time in the next 30 days.");
		}
		var found = notification(caller, id);
		var person = caller.person();
		var first = transactions.execute(tx -> jdbc.sql("""
				update notification set action = :action, acted_at = :now, deliver_at = case when :action = 'snoozed' then :until else deliver_at end,
				released_at = case when :action = 'snoozed' then null else released_at end,
				decision = case when :action = 'snoozed' then 'now' else decision end
				where id = :id and person_id = :person and (action is null or action = 'snoozed')""")
			.param("action", action)
			.param("now", now.atOffset(ZoneOffset.UTC))
			.param("until", until == null ? null : until.atOffset(ZoneOffset.UTC))
			.param("id", id)
			.param("person", person.value())
			.update());
		if (first != null && first > 0 && !"snoozed".equals(action) && !Notification.PERSON.equals(found.sender())) {
			learn(person, found, "opened".equals(action), now);
		}
		return notification(person, id);
	}

	private void learn(PersonId person, Notification acted, boolean opened, Instant now) {
		var keys = new ArrayList<String>();
		if (!Notification.FAMILIAR.equals(acted.sender())) {
			// Familiar's own (reminders, digests, finished runs) are learned from by topic only.
			keys.add(AttentionPolicy.senderKey(acted.sender()));
		}
		if (acted.topic() != null) {
			keys.add(AttentionPolicy.topicKey(acted.topic()));
			var shown = acted.deliveredAt() != null ? acted.deliveredAt() : acted.createdAt();
			keys.add(AttentionPolicy.daypartKey(acted.topic(), AttentionPolicy.daypart(shown.atZone(rules(person).zone()).getHour())));
		}
		for (var key : keys) {
			var counts = transactions.execute(tx -> {
				var updated = jdbc.sql("update attention_stat set opened = opened + :o, dismissed = dismissed + :d where person_id = :person and stat_key = :key")
					.param("o", opened ? 1 : 0)
					.param("d", opened ? 0 : 1)
					.param("person", person.value())
					.param("key", key)
					.update();
				if (updated == 0) {
					try {
						jdbc.sql("insert into attention_stat (person_id, stat_key, opened, dismissed) values (:person, :key, :o, :d)")
							.param("o", opened ? 1 : 0)
							.param("d", opened ? 0 : 1)
							.param("person", person.value())
							.param("key", key)
							.update();
					}
					catch (DuplicateKeyException raced) {
						return null;
					}
				}
				return jdbc.sql("select opened, dismissed from attention_stat where person_id = :person and stat_key = :key")
					.param("person", person.value())
					.param("key", key)
					.query((rs, n) -> new int[] { rs.getInt(1), rs.getInt(2) })
					.single();
			});
			if (counts == null) {
				continue;
			}
			AttentionPolicy.Learned effect = counts[0] == 0 && counts[1] >= settings.learnAfter() ? AttentionPolicy.Learned.QUIET
					: counts[1] == 0 && counts[0] >= settings.learnAfter() && key.startsWith("sender:") ? AttentionPolicy.Learned.PROMPT
							: null;
			if (effect != null && !learned(person).containsKey(key)) {
				remember(person, key, effect, acted, counts, now);
			}
		}
	}

	private void remember(PersonId person, String key, AttentionPolicy.Learned effect, Notification acted, int[] counts, Instant now) {
		var username = identity.person(person).map(p -> p.username()).orElse(null);
		if (username == null) {
			return;
		}
		var part = key.contains("@") ? key.substring(key.indexOf('@') + 1) : null;
		var text = switch (effect) {
			case QUIET -> key.startsWith("sender:")
					? "Prefers not to be notified by " + acted.senderName() + ": dismissed the last " + counts[1] + " without opening one."
					: "Prefers notifications about " + acted.topic() + (part == null ? "" : " in the " + part)
							+ " kept for the digest: dismissed the last " + counts[1] + ".";
			case PROMPT -> "Wants notifications from " + acted.senderName() + " at once, even low ones: opened the last " + counts[0] + ".";
		};
		var caller = new Caller(person, username, null, WorkloadClass.BATCH);
		var remembered = memory.remember(caller, text, MemoryKind.PREFERENCE, MemorySource.ATTENTION, "attention:" + key, null);
		jdbc.sql("insert into attention_learned (person_id, stat_key, effect, memory_id, learned_at) select :person, :key, :effect, :memory, :at where not exists (select 1 from attention_learned where person_id = :person and stat_key = :key)")
			.param("person", person.value())
			.param("key", key)
			.param("effect", effect.name())
			.param("memory", remembered.memory().id().value().toString())
			.param("at", now.atOffset(ZoneOffset.UTC))
			.update();
	}

	/**
	 * What Familiar learned and the person still has as memories: one they forget (or that is
	 * gone with its memory) stops counting, and its tally starts again.
	 */
	public Map<String, AttentionPolicy.Learned> learned(PersonId person) {
		var rows = jdbc.sql("select stat_key, effect, memory_id from attention_learned where person_id = :person")
			.param("person", person.value())
			.query((rs, n) -> new String[] { rs.getString(1), rs.getString(2), rs.getString(3) })
			.list();
		if (rows.isEmpty()) {
			return Map.of();
		}
		var username = identity.person(person).map(p -> p.username()).orElse("");
		var kept = memory.byIds(new Caller(person, username, null, WorkloadClass.BATCH), rows.stream().map(r -> r[2]).toList());
		var learned = new HashMap<String, AttentionPolicy.Learned>();
		for (var row : rows) {
			if (kept.containsKey(row[2])) {
				learned.put(row[0], AttentionPolicy.Learned.valueOf(row[1]));
			}
			else {
				jdbc.sql("delete from attention_learned where person_id = :person and stat_key = :key").param("person", person.value()).param("key", row[0]).update();
				jdbc.sql("delete from attention_stat where person_id = :person and stat_key = :key").param("person", person.value()).param("key", row[0]).update();
			}
		}
		return learned;
	}

	// ----- due work: merged bursts, snoozes, digests -----

	@Scheduled(fixedDelayString = "${familiar.attention.tick:PT15S}", initialDelayString = "${familiar.attention.tick:PT15S}")
	void scheduledTick() {
		try {
			tick();
		}
		catch (RuntimeException ex) {
			log.warn("Attention tick failed: {}", ex.getMessage());
		}
	}

	/** Releases what is due (merged bursts, snoozed ones) and writes the digests that are due; safe on many replicas. */
	public void tick() {
		var now = clock.instant();
		releaseDue(now);
		writeDigests(now);
	}

	private record Due(UUID id, PersonId person, String sender, Instant at, @Nullable String device) {
	}

	private void releaseDue(Instant now) {
		var due = jdbc.sql("""
				select id, person_id, sender, deliver_at, device_id from notification where decision = 'now' and deliver_at <= :now
				and released_at is null order by deliver_at""")
			.param("now", now.atOffset(ZoneOffset.UTC))
			.query((rs, n) -> new Due(rs.getObject(1, UUID.class), new PersonId(rs.getObject(2, UUID.class)), rs.getString(3),
					rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5)))
			.list();
		var groups = new LinkedHashMap<String, List<Due>>();
		for (var item : due) {
			groups.computeIfAbsent(item.person().value() + "|" + item.sender() + "|" + item.at(), k -> new ArrayList<>()).add(item);
		}
		for (var group : groups.values()) {
			var person = group.getFirst().person();
			transactions.executeWithoutResult(tx -> {
				lockRules(person);
				// Claimed by marking them released: another replica's tick finds none left.
				var claimed = new ArrayList<UUID>();
				for (var item : group) {
					if (jdbc.sql("update notification set released_at = :now, delivered_at = null where id = :id and released_at is null")
						.param("now", now.atOffset(ZoneOffset.UTC))
						.param("id", item.id())
						.update() == 1) {
						claimed.add(item.id());
					}
				}
				if (!claimed.isEmpty()) {
					var device = placement(person, now, "due now");
					jdbc.sql("update notification set device_id = :device, device_name = :name where id in (:ids)")
						.param("device", device.device())
						.param("name", device.deviceName())
						.param("ids", claimed)
						.update();
					release(person, claimed, device.device(), now);
				}
			});
		}
	}

	/** Where to show something due now (a digest, a reminder, a merged burst). */
	private AttentionPolicy.Decision placement(PersonId person, Instant now, String because) {
		return policy.place(policyDevices(person), now, because);
	}

	private void writeDigests(Instant now) {
		var due = jdbc.sql("""
				select distinct person_id, deliver_at from notification where decision = 'digest' and digest_id is null
				and deliver_at <= :now""")
			.param("now", now.atOffset(ZoneOffset.UTC))
			.query((rs, n) -> Map.entry(new PersonId(rs.getObject(1, UUID.class)), rs.getObject(2, OffsetDateTime.class).toInstant()))
			.list();
		for (var entry : due) {
			writeDigest(entry.getKey(), entry.getValue(), now);
		}
	}

	private void writeDigest(PersonId person, Instant dueAt, Instant now) {
		var id = UUID.randomUUID();
		List<Notification> items;
		try {
			items = transactions.execute(tx -> {
				jdbc.sql("insert into attention_digest (id, person_id, due_at, text, items) values (:id, :person, :due, '', 0)")
					.param("id", id)
					.param("person", person.value())
					.param("due", dueAt.atOffset(ZoneOffset.UTC))
					.update();
				jdbc.sql("update notification set digest_id = :id where person_id = :person and decision = 'digest' and digest_id is null and deliver_at <= :due")
					.param("id", id)
					.param("person", person.value())
					.param("due", dueAt.atOffset(ZoneOffset.UTC))
					.update();
				return jdbc.sql("select * from notification where digest_id = :id and person_id = :person order by created_at")
					.param("id", id)
					.param("person", person.value())
					.query(AttentionManagement::notification)
					.list();
			});
		}
		catch (DuplicateKeyException another) {
			return;
		}
		if (items == null || items.isEmpty()) {
			return;
		}
		var rules = rules(person);
		var plain = plainDigest(items, rules.zone());
		var written = byModel(person, plain);
		var text = written == null ? plain : written.getValue().strip() + "\n\n" + plain;
		var byModel = written == null ? null : written.getKey();
		var heading = "Your " + DateTimeFormatter.ofPattern("HH:mm").withZone(rules.zone()).format(dueAt) + " digest: "
				+ items.size() + (items.size() == 1 ? " notification" : " notifications");
		var body = text.length() > 4000 ? text.substring(0, 3999) + "…" : text;
		transactions.executeWithoutResult(tx -> {
			jdbc.sql("update attention_digest set text = :text, by_model = :model, items = :items where id = :id")
				.param("text", text.length() > 16000 ? text.substring(0, 15999) + "…" : text)
				.param("model", byModel)
				.param("items", items.size())
				.param("id", id)
				.update();
			lockRules(person);
			var place = placement(person, now, "your digest");
			var notification = UUID.randomUUID();
			insert(notification, person, Notification.FAMILIAR, "Familiar",
					new Outgoing(heading, body, Urgency.NORMAL, "digest", null, null), now, place);
			jdbc.sql("update notification set digest_id = :digest where id = :id").param("digest", id).param("id", notification).update();
			release(person, List.of(notification), place.device(), now);
		});
	}

	static String plainDigest(List<Notification> items, ZoneId zone) {
		var time = DateTimeFormatter.ofPattern("HH:mm").withZone(zone);
		var lines = new ArrayList<String>();
		for (var item : items) {
			lines.add("• " + time.format(item.createdAt()) + " " + item.senderName() + ": " + item.title()
					+ (item.body() == null || item.body().isBlank() ? "" : " — " + clip(item.body(), 200)));
		}
		return String.join("\n", lines);
	}

	private static String clip(String text, int length) {
		var line = text.strip().replace('\n', ' ');
		return line.length() <= length ? line : line.substring(0, length) + "…";
	}

	/** The digest in a model's words (batch work on the person's plan), or null when no model answers. */
	private Map.@Nullable Entry<String, String> byModel(PersonId person, String plain) {
		var person_ = identity.person(person).orElse(null);
		if (person_ == null) {
			return null;
		}
		var model = digestModel(person);
		if (model == null) {
			return null;
		}
		if (!compute.energyWindow(WorkloadClass.BATCH, clock.instant()).start()) {
			// A digest is due at its hour: where batch work waits for clean hours, it comes in plain words rather than late.
			return null;
		}
		var caller = new Caller(person, person_.username(), null, WorkloadClass.BATCH);
		var request = new ChatRequest("digest-" + UUID.randomUUID(), person.toString(), WorkloadClass.BATCH, model,
				List.of(ChatMessage.system(DIGEST_INSTRUCTION), ChatMessage.user(clip(plain, 6000))), 300, 0.2, null, List.of());
		try {
			var text = plans.run(caller, request, piece -> {
			}).text();
			return text == null || text.isBlank() ? null : Map.entry(model, text);
		}
		catch (RuntimeException noModel) {
			log.info("Digest for {} without a model: {}", person, noModel.getMessage());
			return null;
		}
	}

	private @Nullable String digestModel(PersonId person) {
		if (settings.digestModel() != null && !settings.digestModel().isBlank()) {
			return settings.digestModel();
		}
		return plans.defaultModel(person);
	}

	public List<Digest> digests(PersonId person, int limit) {
		return jdbc.sql("select id, due_at, text, by_model, items from attention_digest where person_id = :person and items > 0 order by due_at desc")
			.param("person", person.value())
			.query((rs, n) -> new Digest(rs.getObject(1, UUID.class), rs.getObject(2, OffsetDateTime.class).toInstant(),
					rs.getString(3), rs.getString(4), rs.getInt(5)))
			.list()
			.stream()
			.limit(limit)
			.toList();
	}

	// ----- personal data -----

	@Override
	public String section() {
		return "attention";
	}

	@Override
	public Object export(PersonId person) {
		var export = new LinkedHashMap<String, Object>();
		export.put("rules", rules(person));
		export.put("contexts", contexts(person));
		export.put("notifications", jdbc.sql("select * from notification where person_id = :person order by created_at")
			.param("person", person.value())
			.query(AttentionManagement::notification)
			.list());
		export.put("digests", digests(person, Integer.MAX_VALUE));
		return export;
	}

	@Override
	public void erase(PersonId person) {
		for (var table : List.of("device_context", "attention_rules", "notification", "attention_event", "attention_digest",
				"attention_stat", "attention_learned", "push_subscription")) {
			jdbc.sql("delete from " + table + " where person_id = :person").param("person", person.value()).update();
		}
		devices.invalidate(person);
	}

	/** For the streams: runs {@code listener} with a person's id whenever they have new events (on any replica). */
	public void onEvents(Consumer<PersonId> listener) {
		broadcasts.subscribe(EVENTS, id -> listener.accept(new PersonId(UUID.fromString(id))));
	}
}
