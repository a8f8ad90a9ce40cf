package org.familiar.plans;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.CompletionFinished;
import org.familiar.identity.Caller;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.Person;
import org.familiar.identity.PlanChanged;
import org.jspecify.annotations.Nullable;
import org.familiar.identity.PersonId;
import org.familiar.identity.PersonalData;
import org.familiar.identity.AppCapChosen;
import org.familiar.identity.ConnectedApps;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

/**
 * The plans module's entry point. {@link #admit} checks a request against the person's plan and
 * reserves its largest possible cost before it runs; the request's {@link CompletionFinished}
 * settles it with the real usage, off the request's thread. Reservations a crashed process left
 * behind are settled (at zero) when the process starts again.
 */
@Service
public class PlansManagement implements PersonalData {

	private static final Logger log = LoggerFactory.getLogger(PlansManagement.class);

	/** The reply length reserved when neither the request nor the plan sets one. */
	static final int DEFAULT_REPLY_TOKENS = 4096;

	private final PlanSettings settings;

	private final UsageLedger ledger;

	private final ConnectedApps apps;

	private final IdentityManagement identity;

	private final Clock clock;

	private final String node;

	private final Instant started;


	/** A person's plan with any override applied. */
	private record Effective(String name, PlanSettings.Plan plan, boolean overridden) {
	}

	private final Cache<PersonId, Effective> plansOf = Caffeine.newBuilder()
		.expireAfterWrite(Duration.ofSeconds(30))
		.maximumSize(100_000)
		.build();

	private final PlanOverrides overrides;

	private final MediaLedger media;

	private final org.familiar.compute.ComputeManagement compute;

	private final org.familiar.compute.Broadcasts broadcasts;

	/** The topic on which replicas tell each other that a person's plan or own budget changed. */
	static final String PLAN_CHANGED = "plans.person";

	PlansManagement(PlanSettings settings, UsageLedger ledger, PlanOverrides overrides, IdentityManagement identity,
			ConnectedApps apps, Clock clock, org.familiar.compute.ComputeManagement compute,
			org.familiar.compute.Broadcasts broadcasts, org.familiar.compute.Replicas replicas, MediaLedger media) {
		this.media = media;
		this.broadcasts = broadcasts;
		broadcasts.subscribe(PLAN_CHANGED, id -> plansOf.invalidate(new PersonId(java.util.UUID.fromString(id))));
		this.compute = compute;
		this.apps = apps;
		this.overrides = overrides;
		this.settings = settings;
		this.ledger = ledger;
		this.identity = identity;
		this.clock = clock;
		this.node = replicas.node();
		this.started = replicas.started();
		replicas.onDeparture(this::settleLeftBy);
	}

	/**
	 * The model work done for the person without their choosing one (an MCP host's {@code ask}, a
	 * digest) runs on: their chosen model if it is available, else the first available chat model of
	 * a configured backend, else the embedded one; {@code null} when none is available.
	 */
	public @Nullable String defaultModel(PersonId person) {
		var models = compute.models().stream().filter(org.familiar.compute.ModelInfo::chat)
			.filter(org.familiar.compute.ModelInfo::available).toList();
		var chosen = identity.preferences(person).defaultModel();
		if (chosen != null && models.stream().anyMatch(m -> m.id().equals(chosen))) {
			return chosen;
		}
		return models.stream().filter(m -> !"embedded".equals(m.backend())).findFirst().or(() -> models.stream().findFirst())
			.map(org.familiar.compute.ModelInfo::id).orElse(null);
	}

	/**
	 * The one way a request runs, for {@code /v1}, the web chat, research and memory: the model and
	 * the fields its backends can honour are checked (404 / 400 before anything is reserved), the
	 * plan reserves its largest cost, compute schedules and runs it, and its one
	 * {@link CompletionFinished} settles the reservation however it ends. Give each attempt its own
	 * request id: a reservation is keyed by it.
	 * @throws org.familiar.compute.ModelNotFoundException if no backend serves the model
	 * @throws org.familiar.compute.UnsupportedFieldException if none can honour a field of it
	 * @throws PlanForbiddenException if the plan does not include the model, class or size
	 * @throws QuotaExceededException if the budget left in the window does not cover it
	 * @throws org.familiar.compute.BackendException and the others {@link org.familiar.compute.ComputeManagement#chat} throws
	 */
	public org.familiar.compute.ChatResult run(Caller caller, ChatRequest request, org.familiar.compute.TokenSink sink) {
		compute.check(request);
		return compute.chat(admit(caller, request), sink);
	}

	/**
	 * Checks the request against the caller's plan and reserves its largest cost: the prompt
	 * (estimated generously) plus the longest reply. Call it right before running the request; the
	 * request's completion event settles the reservation.
	 * @return the request, its reply limited to what was reserved; on the plan's fallback model, free of
	 *     charge, when the budget is spent and the plan has one
	 * @throws PlanForbiddenException if the plan does not include the model, class or size
	 * @throws QuotaExceededException if the budget left in the window does not cover it
	 */
	public ChatRequest admit(Caller caller, ChatRequest request) {
		if (!settings.metering()) {
			return request;
		}
		var effective = effective(caller.person());
		var planName = effective.name();
		var plan = effective.plan();
		if (!plan.models().isEmpty() && !plan.models().contains(request.model())) {
			throw new PlanForbiddenException("Your plan '" + planName + "' does not include the model '"
					+ request.model() + "'. It includes: " + String.join(", ", plan.models()) + ".", "model");
		}
		if (!plan.workloads().isEmpty() && plan.workloads().stream().noneMatch(w -> w.equalsIgnoreCase(request.workload().id()))) {
			throw new PlanForbiddenException("Your plan '" + planName + "' does not include " + request.workload().id()
					+ " requests (this token's class).", "workload");
		}
		int limit = plan.maxRequestTokens() != null ? plan.maxRequestTokens() : Integer.MAX_VALUE;
		long prompt = estimatePrompt(request);
		int choices = request.choices();
		int reply = request.maxTokens() != null ? request.maxTokens()
				: (int) Math.max(1, Math.min(DEFAULT_REPLY_TOKENS, (limit - prompt) / choices));
		// Each of n replies may be max_tokens long.
		long bound = prompt + (long) reply * choices;
		if (bound > limit) {
			throw new PlanForbiddenException("This request may use up to " + bound + " tokens; your plan '"
					+ planName + "' allows " + limit + " per request. Send a shorter prompt or a lower max_tokens.",
					"max_tokens");
		}
		var now = clock.instant();
		var hold = new UsageLedger.Hold(request.requestId(), caller.person().value(),
				caller.token() == null ? null : caller.token().value(), request.model(), request.workload().id(),
				bound, node);
		UsageLedger.Balance refused;
		try {
			refused = ledger.reserve(hold, plan.tokenBudget(), plan.window(), now);
		}
		catch (UsageLedger.CapReached reached) {
			var cap = reached.balance;
			var resetsAt = cap.oldest() != null ? cap.oldest() : now.plus(UsageLedger.CAP_WINDOW);
			throw new QuotaExceededException("You capped what this app may spend at " + cap.cap()
					+ " tokens per 30 days; it has " + Math.max(0, cap.cap() - cap.used() - cap.held())
					+ " left and this request needs up to " + bound + ". Raise the cap on your usage page, or wait until "
					+ resetsAt + ".", resetsAt);
		}
		if (refused != null && plan.fallbackModel() != null && !plan.fallbackModel().equals(request.model())) {
			// Spent: the plan's fallback model answers instead, recorded but not charged to the budget.
			var fallback = new UsageLedger.Hold(request.requestId(), caller.person().value(), hold.token(),
					plan.fallbackModel(), request.workload().id(), 0, node);
			ledger.reserve(fallback, 0, plan.window(), now);
			return request.withModel(plan.fallbackModel()).withMaxTokens(reply);
		}
		if (refused != null) {
			var resetsAt = refused.oldest() != null ? refused.oldest().plus(plan.window()) : now.plus(plan.window());
			throw new QuotaExceededException("Your plan '" + planName + "' has " + Math.max(0,
					plan.tokenBudget() - refused.used() - refused.held()) + " of its " + plan.tokenBudget()
					+ " tokens left for this " + plan.window() + " window; this request needs up to " + bound
					+ ". More frees up from " + resetsAt + ".", resetsAt);
		}
		return request.withMaxTokens(reply);
	}

	/**
	 * Checks media work against the caller's plan and reserves the most it may make ({@code amount}
	 * images, or seconds of video), before any of it is made; {@link #settleMedia} records what was
	 * made. A model the plan leaves out is refused as for chat. What a replica reserved and never
	 * settled (it crashed or left) is settled at zero with the token ledger's reservations.
	 * @throws PlanForbiddenException if the plan does not include the model
	 * @throws QuotaExceededException if what is left of the plan's images or video seconds does not cover it
	 */
	public void reserveMedia(Caller caller, String requestId, MediaUnit unit, String model, long amount) {
		if (!settings.metering()) {
			return;
		}
		var effective = effective(caller.person());
		var plan = effective.plan();
		if (!plan.models().isEmpty() && !plan.models().contains(model)) {
			throw new PlanForbiddenException("Your plan '" + effective.name() + "' does not include the model '" + model
					+ "'. It includes: " + String.join(", ", plan.models()) + ".", "model");
		}
		var now = clock.instant();
		var refused = media.reserve(requestId, caller.person().value(), unit, model, amount, plan.budget(unit), plan.window(),
				now, node);
		if (refused != null) {
			var resetsAt = refused.oldest() != null ? refused.oldest().plus(plan.window()) : now.plus(plan.window());
			var what = unit == MediaUnit.IMAGES ? "images" : "seconds of video";
			throw new QuotaExceededException("Your plan '" + effective.name() + "' has " + Math.max(0,
					plan.budget(unit) - refused.used() - refused.held()) + " of its " + plan.budget(unit) + " " + what
					+ " left for this " + plan.window() + " window; this request needs " + amount + ". More frees up from "
					+ resetsAt + ".", resetsAt);
		}
	}

	/**
	 * Records what reserved media work made (0 if it failed) and its energy; once per request.
	 * @return whether this settled it (false if it was settled before or never reserved)
	 */
	public boolean settleMedia(String requestId, String backend, long made, double energyWh, String outcome) {
		if (!settings.metering()) {
			return false;
		}
		return media.settle(requestId, backend, made, energyWh, outcome, clock.instant());
	}

	/** A person's media in their plan's window: what was made, what is held, the plan's limit. */
	public MediaUsage mediaUsage(PersonId person) {
		var effective = effective(person);
		var plan = effective.plan();
		var now = clock.instant();
		var images = media.balance(person.value(), MediaUnit.IMAGES, plan.window(), now);
		var video = media.balance(person.value(), MediaUnit.VIDEO_SECONDS, plan.window(), now);
		return new MediaUsage(images.used(), images.held(), plan.images(), video.used(), video.held(), plan.videoSeconds(),
				media.energyWh(person.value(), plan.window(), now));
	}

	/**
	 * @param imageLimit images per window, 0 for none
	 * @param videoSecondsLimit seconds of video per window, 0 for none
	 */
	@com.fasterxml.jackson.databind.annotation.JsonNaming(com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy.class)
	public record MediaUsage(long images, long imagesHeld, long imageLimit, long videoSeconds, long videoSecondsHeld,
			long videoSecondsLimit, double energyWh) {
	}

	/**
	 * An upper bound of the prompt's tokens in any language: its UTF-8 bytes (a byte-level BPE or
	 * byte-fallback tokenizer never makes a token of less than a byte), plus a chat template's
	 * framing. A Chinese character is three bytes and about one token; an English word about five
	 * bytes and one token. Characters a token would be no bound: Chinese is about one a token.
	 */
	static long estimatePrompt(ChatRequest request) {
		var passThrough = request.passThrough();
		if (passThrough != null) {
			return passThrough.promptBound();
		}
		long bytes = 0;
		for (ChatMessage message : request.messages()) {
			bytes += utf8Length(message.content());
		}
		return bytes + 8L * request.messages().size() + 8;
	}

	/** The UTF-8 length of {@code text}, without encoding it. */
	static long utf8Length(String text) {
		long bytes = 0;
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c < 0x80) {
				bytes++;
			}
			else if (c < 0x800) {
				bytes += 2;
			}
			else if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
				bytes += 4;
				i++;
			}
			else {
				bytes += 3;
			}
		}
		return bytes;
	}

	/** The caller's usage in their plan's current window. */
	@Override
	public String section() {
		return "usage";
	}

	/** Every settled request of the person (the ledger's settle entries). */
	@Override
	public Object export(PersonId person) {
		return Map.of("plan", usage(person).plan(), "requests", ledger.settled(person.value(), Instant.EPOCH));
	}

	@Override
	public void erase(PersonId person) {
		ledger.erase(person.value());
		media.erase(person.value());
	}

	public Usage usage(PersonId person) {
		var effective = effective(person);
		var planName = effective.name();
		var plan = effective.plan();
		var balance = ledger.balance(person.value(), plan.window(), clock.instant());
		long remaining = plan.tokenBudget() == 0 ? -1
				: Math.max(0, plan.tokenBudget() - balance.used() - balance.held());
		return new Usage(planName, plan.window(), plan.tokenBudget(), balance.used(), balance.held(), remaining,
				balance.requests(), balance.energyWh(), balance.oldest() == null ? null : balance.oldest().plus(plan.window()),
				effective.overridden());
	}

	/** Where the work Familiar does for a person unasked (titles, memory extraction) shows in their usage. */
	public static final String BACKGROUND = "Familiar in the background";

	/** Where the evaluations a person starts in the web app show in their usage. */
	public static final String RESEARCH_RUNS = "research runs";

	/** The person's usage in their plan's window, itemised by day and model, by app, and by request. */
	public UsageReport report(PersonId person) {
		var usage = usage(person);
		var labels = new HashMap<UUID, String>();
		var caps = ledger.caps(person.value());
		var sources = new LinkedHashMap<String, UsageReport.Source>();
		sources.put("web chat", new UsageReport.Source("web chat", null, 0, 0, 0, null, null, null));
		for (var token : identity.tokens(person)) {
			labels.put(token.id().value(), token.label());
			if (token.active()) {
				sources.put(token.label(), new UsageReport.Source(token.label(), token.id().value(), 0, 0, 0, null,
						caps.get(token.id().value()), null));
			}
		}
		for (var connection : apps.connected(person)) {
			var id = UUID.fromString(connection.app().registrationId());
			labels.put(id, connection.app().name());
			sources.put(connection.app().name(), new UsageReport.Source(connection.app().name(), id, 0, 0, 0, null, caps.get(id), null));
		}
		var requests = ledger.settled(person.value(), clock.instant().minus(usage.window())).stream()
			.map(s -> new UsageReport.Request(s.at(), s.requestId(),
					s.token() == null ? ("interactive".equals(s.workload()) ? "web chat"
							: "research".equals(s.workload()) ? RESEARCH_RUNS : BACKGROUND)
							: labels.getOrDefault(s.token(), "revoked token"), s.model(), s.backend(),
					s.workload(), s.promptTokens(), s.completionTokens(), s.charged(), s.energyWh(), s.outcome(),
					s.energyMeasured(), s.gridIntensity() == null ? null : s.energyWh() * s.gridIntensity() / 1000))
			.toList();
		var days = new TreeMap<String, UsageReport.Day>();
		var energyDays = new TreeMap<LocalDate, UsageReport.EnergyDay>();
		for (var request : requests) {
			var day = LocalDate.ofInstant(request.at(), ZoneOffset.UTC);
			days.merge(day + " " + request.model(),
					new UsageReport.Day(day, request.model(), request.chargedTokens(), 1, request.energyWh()),
					(a, b) -> new UsageReport.Day(a.day(), a.model(), a.tokens() + b.tokens(), a.requests() + 1,
							a.energyWh() + b.energyWh()));
			sources.merge(request.source(),
					new UsageReport.Source(request.source(), null, request.chargedTokens(), 1, request.energyWh(),
							request.at(), null, request.co2Grams()),
					(a, b) -> new UsageReport.Source(a.name(), a.id(), a.tokens() + b.tokens(), a.requests() + 1,
							a.energyWh() + b.energyWh(), a.lastUsed() != null ? a.lastUsed() : b.lastUsed(), a.cap(),
							UsageReport.sum(a.co2Grams(), b.co2Grams())));
			energyDays.merge(day, new UsageReport.EnergyDay(day, 1, request.energyWh(),
					request.energyMeasured() ? request.energyWh() : 0, request.co2Grams()),
					(a, b) -> new UsageReport.EnergyDay(a.day(), a.requests() + 1, a.energyWh() + b.energyWh(),
							a.measuredWh() + b.measuredWh(), UsageReport.sum(a.co2Grams(), b.co2Grams())));
		}
		var used = sources.values().stream().filter(s -> s.requests() > 0 || s.id() != null).toList();
		var workloads = new TreeMap<String, UsageReport.WorkloadShare>();
		for (var request : requests) {
			workloads.merge(request.workload(),
					new UsageReport.WorkloadShare(request.workload(), request.chargedTokens(), 1, request.energyWh()),
					(a, b) -> new UsageReport.WorkloadShare(a.workload(), a.tokens() + b.tokens(), a.requests() + 1,
							a.energyWh() + b.energyWh()));
		}
		return new UsageReport(usage, List.copyOf(days.values()), used, requests, List.copyOf(workloads.values()),
				List.copyOf(energyDays.descendingMap().values()));
	}

	/**
	 * Caps what one of the person's apps (an access token) may spend per 30 days; {@code null}
	 * lifts the cap. Applies from the next request.
	 */
	public void capApp(PersonId person, UUID app, @Nullable Long tokensPer30Days) {
		if (tokensPer30Days != null && tokensPer30Days < 0) {
			throw new IllegalArgumentException("A cap cannot be negative");
		}
		ledger.cap(person.value(), app, tokensPer30Days);
	}

	/** Everyone's usage, for administrators. */
	public List<PersonUsage> everyone() {
		return identity.people().stream().map(p -> new PersonUsage(p.id(), p.username(), usage(p.id()))).toList();
	}

	/** One person's usage, named. */
	public record PersonUsage(PersonId id, String username, Usage usage) {
	}

	private Effective effective(PersonId person) {
		return plansOf.get(person, id -> {
			var name = settings.nameOf(identity.person(id).map(Person::plan).orElse(null));
			var plan = settings.plan(name);
			var budget = overrides.budget(id.value());
			return budget.map(b -> new Effective(name, new PlanSettings.Plan(b, plan.window(), plan.models(),
					plan.workloads(), plan.maxRequestTokens(), plan.fallbackModel(), plan.images(), plan.videoSeconds()), true))
				.orElse(new Effective(name, plan, false));
		});
	}

	/**
	 * Gives a person their own token budget in place of their plan's ({@code null} removes it);
	 * the plan's other rules stay. Applies from the next request.
	 */
	public void overrideBudget(PersonId person, @Nullable Long tokenBudget) {
		if (tokenBudget != null && tokenBudget < 0) {
			throw new IllegalArgumentException("A budget cannot be negative");
		}
		overrides.set(person.value(), tokenBudget);
		broadcasts.publish(PLAN_CHANGED, person.value().toString());
	}

	/** The cap a person chose on an app's consent page. */
	@EventListener
	void on(AppCapChosen chosen) {
		capApp(chosen.person(), chosen.app(), chosen.tokensPer30Days());
	}

	/** A new plan takes effect on the next request, not when the cached name expires. */
	@EventListener
	void on(PlanChanged changed) {
		broadcasts.publish(PLAN_CHANGED, changed.person().value().toString());
	}

	/** Queues the settlement: the reply is already on its way; the ledger's writer commits it with others. */
	@EventListener
	void on(CompletionFinished finished) {
		if (!settings.metering()) {
			return;
		}
		ledger.settleLater(new UsageLedger.Settlement(finished.requestId(), finished.backend(),
				finished.usage().promptTokens(), finished.usage().completionTokens(), finished.energyWh(),
				finished.outcome().name().toLowerCase(), node, finished.requester(), compute.carbonIntensity(clock.instant())));
	}

	/**
	 * The energy of the person's settled requests among {@code requestIds}, by request id (those not
	 * settled yet, or not the person's, are left out).
	 */
	public java.util.Map<String, RequestEnergy> energy(PersonId person, java.util.Collection<String> requestIds) {
		return ledger.energy(person.value(), List.copyOf(requestIds));
	}

	/** A request's measured energy replaces its estimate, after its settlement (queued behind it on this node). */
	@EventListener
	void on(org.familiar.compute.EnergyMeasured measured) {
		if (settings.metering()) {
			ledger.measuredLater(new UsageLedger.Measured(measured.requestId(), measured.wattHours()));
		}
	}

	/** Settles, at zero, what this node reserved before it started and never settled: it crashed. */
	void reconcile() {
		settleLeftBy(node, started, "an earlier run of node");
	}

	/** Settles, at zero, what a replica that is gone (its lease ran out) left reserved. */
	private void settleLeftBy(String departed) {
		settleLeftBy(departed, clock.instant(), "replica");
	}

	private void settleLeftBy(String departed, Instant before, String who) {
		var orphans = ledger.unsettled(departed, before);
		for (var request : orphans) {
			ledger.settle(new UsageLedger.Settlement(request, "", 0, 0, 0, "reconciled", node), clock.instant());
		}
		var mediaOrphans = media.unsettled(departed, before);
		for (var request : mediaOrphans) {
			media.settle(request, "", 0, 0, "reconciled", clock.instant());
		}
		if (!orphans.isEmpty() || !mediaOrphans.isEmpty()) {
			log.warn("Settled {} reservations left unfinished by {} '{}' (charged nothing: what was generated is not known)",
					orphans.size() + mediaOrphans.size(), who, departed);
		}
	}
}
