package org.familiar.attention.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.familiar.attention.AttentionManagement;
import org.familiar.attention.AttentionRules;
import org.familiar.attention.DeviceContext;
import org.familiar.attention.Digest;
import org.familiar.attention.InvalidAttentionException;
import org.familiar.attention.Notification;
import org.familiar.attention.NotificationNotFoundException;
import org.familiar.attention.Urgency;
import org.familiar.attention.internal.DeviceStreams;
import org.familiar.identity.Caller;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.InvalidAccountException;
import org.familiar.identity.LinkedDevices;
import org.familiar.identity.ScopeMissingException;
import org.familiar.identity.Scopes;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Devices, their context and streams, the person's attention rules, notifications and their
 * acknowledgements. A device calls with its own token ({@code familiar.device}); apps send
 * notifications ({@code familiar.notify}) and see only their own, never a context; the person
 * (web session or personal token) sees and does everything for their own devices.
 */
@RestController
class AttentionApi {

	private final AttentionManagement attention;

	private final LinkedDevices linked;

	private final DeviceStreams streams;

	private final org.familiar.attention.internal.WebPushes pushes;

	AttentionApi(AttentionManagement attention, LinkedDevices linked, DeviceStreams streams,
			org.familiar.attention.internal.WebPushes pushes) {
		this.pushes = pushes;
		this.attention = attention;
		this.linked = linked;
		this.streams = streams;
	}

	// ----- devices -----

	@JsonInclude(JsonInclude.Include.NON_NULL)
	record DeviceJson(String id, String name, String kind, String app, @JsonProperty("linked_at") Instant linkedAt,
			@JsonProperty("last_seen_at") @Nullable Instant lastSeenAt, @Nullable ContextJson context) {

		static DeviceJson of(AttentionManagement.DeviceView view) {
			var d = view.device();
			return new DeviceJson(d.id(), d.name(), d.kind(), d.appName(), d.linkedAt(), d.lastSeenAt(),
					view.context() == null || view.context().reportedAt().equals(Instant.EPOCH) ? null
							: ContextJson.of(view.context(), view.stale()));
		}
	}

	@JsonInclude(JsonInclude.Include.NON_NULL)
	record ContextJson(@Nullable String activity, @Nullable Boolean focus, @Nullable String screen, @Nullable String place,
			@Nullable String audio, @JsonProperty("reported_at") @Nullable Instant reportedAt, @Nullable Boolean stale) {

		static ContextJson of(DeviceContext context, boolean stale) {
			return new ContextJson(context.activity(), context.focus(), context.screen(), context.place(), context.audio(),
					context.reportedAt(), stale);
		}
	}

	record DeviceBody(@Nullable String name, @Nullable String kind) {
	}

	@GetMapping("/api/devices")
	List<DeviceJson> devices(@AuthenticationPrincipal CallerPrincipal me) {
		person(me.caller());
		return attention.devices(me.caller().person()).stream().map(DeviceJson::of).toList();
	}

	@GetMapping("/api/devices/current")
	DeviceJson current(@AuthenticationPrincipal CallerPrincipal me) {
		return view(me.caller(), linked.current(me.caller()).id());
	}

	@PatchMapping("/api/devices/current")
	DeviceJson describe(@AuthenticationPrincipal CallerPrincipal me, @RequestBody DeviceBody body) {
		var device = linked.current(me.caller());
		try {
			linked.describe(me.caller().person(), device.id(), body.name(), body.kind());
		}
		catch (InvalidAccountException ex) {
			throw new InvalidAttentionException(ex.getMessage());
		}
		return view(me.caller(), device.id());
	}

	@PutMapping("/api/devices/current/context")
	DeviceJson reportOwn(@AuthenticationPrincipal CallerPrincipal me, @RequestBody ContextBody body) {
		return DeviceJson.of(attention.report(me.caller(), null, body.context()));
	}

	@PutMapping("/api/devices/{id}/context")
	DeviceJson reportFor(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String id, @RequestBody ContextBody body) {
		return DeviceJson.of(attention.report(me.caller(), id, body.context()));
	}

	@DeleteMapping("/api/devices/{id}")
	ResponseEntity<Void> unlink(@AuthenticationPrincipal CallerPrincipal me, @PathVariable String id) {
		person(me.caller());
		if (!linked.unlink(me.caller().person(), id)) {
			throw new NotificationNotFoundException("No such device.");
		}
		return ResponseEntity.noContent().build();
	}

	/** A device's own stream of what Familiar shows on it (server-sent events, resumable with Last-Event-ID). */
	@GetMapping(path = "/api/devices/current/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	SseEmitter deviceStream(@AuthenticationPrincipal CallerPrincipal me,
			@RequestHeader(name = "Last-Event-ID", required = false) @Nullable String lastEventId, HttpServletResponse response) {
		var device = linked.current(me.caller());
		noBuffering(response);
		return streams.open(me.caller().person(), device.id(), seq(lastEventId));
	}

	/** The web app's stream: everything that happens to the person's notifications, from now. */
	@GetMapping(path = "/api/attention/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	SseEmitter personStream(@AuthenticationPrincipal CallerPrincipal me,
			@RequestHeader(name = "Last-Event-ID", required = false) @Nullable String lastEventId, HttpServletResponse response) {
		person(me.caller());
		noBuffering(response);
		return streams.open(me.caller().person(), null, seq(lastEventId));
	}

	private static void noBuffering(HttpServletResponse response) {
		response.setHeader("Cache-Control", "no-cache");
		response.setHeader("X-Accel-Buffering", "no");
	}

	private static @Nullable Long seq(@Nullable String lastEventId) {
		if (lastEventId == null || lastEventId.isBlank()) {
			return null;
		}
		try {
			return Math.max(0, Long.parseLong(lastEventId.strip()));
		}
		catch (NumberFormatException ex) {
			throw new InvalidAttentionException("Last-Event-ID is the id of an event this stream sent (a number).");
		}
	}

	private DeviceJson view(Caller caller, String id) {
		return attention.devices(caller.person()).stream().filter(d -> d.device().id().equals(id)).findFirst()
			.map(DeviceJson::of).orElseThrow(() -> new NotificationNotFoundException("No such device."));
	}

	record ContextBody(@Nullable String activity, @Nullable Boolean focus, @Nullable String screen, @Nullable String place,
			@Nullable String audio) {

		DeviceContext context() {
			return new DeviceContext(activity, focus, screen, place, audio, Instant.EPOCH);
		}
	}

	// ----- rules -----

	@JsonInclude(JsonInclude.Include.NON_NULL)
	record RulesJson(@Nullable String zone, @JsonProperty("quiet_from") @Nullable String quietFrom,
			@JsonProperty("quiet_until") @Nullable String quietUntil, @JsonProperty("digest_times") @Nullable List<String> digestTimes,
			@JsonProperty("meetings_critical_only") @Nullable Boolean meetingsCriticalOnly, @Nullable List<String> muted) {

		static RulesJson of(AttentionRules rules) {
			return new RulesJson(rules.zone().getId(), rules.quietFrom() == null ? null : rules.quietFrom().toString(),
					rules.quietUntil() == null ? null : rules.quietUntil().toString(),
					rules.digestTimes().stream().map(LocalTime::toString).toList(), rules.meetingsCriticalOnly(),
					rules.muted().stream().sorted().toList());
		}
	}

	@GetMapping("/api/attention/rules")
	RulesJson rules(@AuthenticationPrincipal CallerPrincipal me) {
		person(me.caller());
		return RulesJson.of(attention.rules(me.caller().person()));
	}

	/** Changes the rules; what is left out stays as it was. */
	@PutMapping("/api/attention/rules")
	RulesJson saveRules(@AuthenticationPrincipal CallerPrincipal me, @RequestBody RulesJson body) {
		person(me.caller());
		var current = attention.rules(me.caller().person());
		var rules = Forms.rules(current, body.zone(), body.quietFrom(), body.quietUntil(), body.digestTimes(),
				body.meetingsCriticalOnly(), body.muted() == null ? null : Set.copyOf(body.muted()));
		return RulesJson.of(attention.saveRules(me.caller().person(), rules));
	}

	// ----- notifications -----

	record NotificationBody(@Nullable String title, @Nullable String body, @Nullable String urgency, @Nullable String topic,
			@JsonProperty("expires_at") @Nullable String expiresAt, @JsonProperty("dedupe_key") @Nullable String dedupeKey) {
	}

	@JsonInclude(JsonInclude.Include.NON_NULL)
	record DecisionJson(String id, String decision, @Nullable String device, @JsonProperty("device_name") @Nullable String deviceName,
			String reason, @JsonProperty("deliver_at") @Nullable Instant deliverAt) {
	}

	@JsonInclude(JsonInclude.Include.NON_NULL)
	record NotificationJson(String id, String sender, @JsonProperty("sender_name") String senderName, String title,
			@Nullable String body, String urgency, @Nullable String topic, @JsonProperty("expires_at") @Nullable Instant expiresAt,
			@JsonProperty("dedupe_key") @Nullable String dedupeKey, @JsonProperty("created_at") Instant createdAt,
			String decision, @Nullable String device, @JsonProperty("device_name") @Nullable String deviceName, String reason,
			@JsonProperty("deliver_at") @Nullable Instant deliverAt, @JsonProperty("delivered_at") @Nullable Instant deliveredAt,
			@Nullable String digest, @Nullable String action, @JsonProperty("acted_at") @Nullable Instant actedAt) {

		static NotificationJson of(Notification n) {
			return new NotificationJson(n.id().toString(), n.sender(), n.senderName(), n.title(), n.body(), n.urgency().id(),
					n.topic(), n.expiresAt(), n.dedupeKey(), n.createdAt(), n.decision(), n.device(), n.deviceName(), n.reason(),
					n.deliverAt(), n.deliveredAt(), n.digest() == null ? null : n.digest().toString(), n.action(), n.actedAt());
		}
	}

	@PostMapping("/api/notifications")
	ResponseEntity<DecisionJson> send(@AuthenticationPrincipal CallerPrincipal me, @RequestBody NotificationBody body) {
		if (me.caller().connected() != null) {
			ScopeMissingException.require(me.caller(), Scopes.NOTIFY);
		}
		var outgoing = new AttentionManagement.Outgoing(body.title() == null ? "" : body.title(), body.body(),
				body.urgency() == null ? Urgency.NORMAL : Urgency.of(body.urgency()), body.topic(),
				body.expiresAt() == null ? null : instant("expires_at", body.expiresAt()), body.dedupeKey());
		var n = attention.notify(me.caller(), outgoing);
		return ResponseEntity.created(URI.create("/api/notifications/" + n.id()))
			.body(new DecisionJson(n.id().toString(), n.decision(), n.device(), n.deviceName(), n.reason(), n.deliverAt()));
	}

	@GetMapping("/api/notifications")
	List<NotificationJson> list(@AuthenticationPrincipal CallerPrincipal me, @RequestParam(defaultValue = "100") int limit) {
		return attention.notifications(me.caller(), limit).stream().map(NotificationJson::of).toList();
	}

	@GetMapping("/api/notifications/{id}")
	NotificationJson get(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id) {
		return NotificationJson.of(attention.notification(me.caller(), id));
	}

	record AckBody(@Nullable String action, @Nullable String until) {
	}

	@PostMapping("/api/notifications/{id}/ack")
	NotificationJson ack(@AuthenticationPrincipal CallerPrincipal me, @PathVariable UUID id, @RequestBody AckBody body) {
		if (body.action() == null) {
			throw new InvalidAttentionException("action is one of opened, dismissed, snoozed.");
		}
		return NotificationJson.of(attention.ack(me.caller(), id, body.action(),
				body.until() == null ? null : instant("until", body.until())));
	}

	record DigestJson(String id, @JsonProperty("due_at") Instant dueAt, String text, @JsonProperty("by_model") @Nullable String byModel,
			int items) {

		static DigestJson of(Digest d) {
			return new DigestJson(d.id().toString(), d.dueAt(), d.text(), d.byModel(), d.items());
		}
	}

	@GetMapping("/api/attention/digests")
	List<DigestJson> digests(@AuthenticationPrincipal CallerPrincipal me) {
		person(me.caller());
		return attention.digests(me.caller().person(), 50).stream().map(DigestJson::of).toList();
	}

	private static Instant instant(String field, String text) {
		try {
			return java.time.OffsetDateTime.parse(text.strip()).toInstant();
		}
		catch (DateTimeParseException ex) {
			throw new InvalidAttentionException(field + " is a date and time with its offset (RFC 3339), e.g. 2026-12-02T18:00:00Z.");
		}
	}

	/** Only the person themselves (web session or personal token), never an app or a device. */
	private static void person(Caller caller) {
		if (caller.connected() != null) {
			throw new ScopeMissingException("the person's own session or token");
		}
	}

	// ----- Web Push -----

	record PushKey(@JsonProperty("public_key") String publicKey) {
	}

	/** The server's VAPID key, for {@code pushManager.subscribe({applicationServerKey})}. */
	@GetMapping("/api/attention/push/key")
	PushKey pushKey(@AuthenticationPrincipal CallerPrincipal me) {
		person(me.caller());
		return new PushKey(pushes.publicKey());
	}

	record SubscriptionKeys(@Nullable String p256dh, @Nullable String auth) {
	}

	/** A browser's PushSubscription as {@code subscription.toJSON()} gives it. */
	record SubscriptionBody(@Nullable String endpoint, @Nullable SubscriptionKeys keys) {
	}

	@PostMapping("/api/attention/push/subscriptions")
	ResponseEntity<Void> subscribe(@AuthenticationPrincipal CallerPrincipal me, @RequestBody SubscriptionBody body) {
		person(me.caller());
		if (body.endpoint() == null || body.keys() == null || body.keys().p256dh() == null || body.keys().auth() == null) {
			throw new InvalidAttentionException("Send the browser's subscription: {\"endpoint\", \"keys\": {\"p256dh\", \"auth\"}}.");
		}
		pushes.subscribe(me.caller().person(), body.endpoint(), body.keys().p256dh(), body.keys().auth());
		return ResponseEntity.status(HttpStatus.CREATED).build();
	}

	@DeleteMapping("/api/attention/push/subscriptions")
	ResponseEntity<Void> unsubscribe(@AuthenticationPrincipal CallerPrincipal me, @RequestParam String endpoint) {
		person(me.caller());
		return pushes.unsubscribe(me.caller().person(), endpoint) ? ResponseEntity.noContent().build()
				: ResponseEntity.notFound().build();
	}

	// ----- errors -----

	@ExceptionHandler(InvalidAttentionException.class)
	ProblemDetail invalid(InvalidAttentionException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
	}

	@ExceptionHandler(NotificationNotFoundException.class)
	ProblemDetail notFound(NotificationNotFoundException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
	}

	@ExceptionHandler(ScopeMissingException.class)
	ProblemDetail scope(ScopeMissingException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, ex.getMessage());
	}

	@ExceptionHandler(HttpMessageNotReadableException.class)
	ProblemDetail unreadable() {
		return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "The body is not the JSON this endpoint takes (see docs/devices.md).");
	}

	@ExceptionHandler(MethodArgumentTypeMismatchException.class)
	ProblemDetail badPath(MethodArgumentTypeMismatchException ex) {
		return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, "No such " + ex.getName() + ".");
	}

	static ZoneId zone(String id) {
		try {
			return ZoneId.of(id);
		}
		catch (java.time.DateTimeException ex) {
			throw new InvalidAttentionException("zone is a time zone such as Europe/Berlin; not '" + id + "'.");
		}
	}
}
