package org.familiar.research;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.annotation.PreDestroy;
import java.io.Reader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import org.familiar.compute.BackendFailedException;
import org.familiar.compute.BackendUnavailableException;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.CompletionFinished;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.PersonId;
import org.familiar.identity.PersonalData;
import org.familiar.plans.PlansManagement;
import org.familiar.research.internal.Evaluations;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * The research module's entry point: suites are uploaded once and run against models as
 * {@code research} work, so they take only capacity that chat does not need. A run grades each
 * item exactly once (one result row per run and item) and can be resumed after a restart; its
 * summary carries a 95 % bootstrap interval, tokens and energy.
 *
 * <p>Suites and runs are their owner's: anyone else is told they do not exist. A held-out suite's
 * items and the replies to them are shown to the owner alone, never to an app acting for them,
 * and go to trusted backends only.
 */
@Service
public class ResearchManagement implements PersonalData {

	private static final Logger log = LoggerFactory.getLogger(ResearchManagement.class);

	static final String RUNNING = "running";

	static final String DONE = "done";

	static final String CANCELLED = "cancelled";

	private static final String GRADING_PROMPT = """
			You grade an answer against a reference. Reply with exactly PASS or FAIL, nothing else.""";

	private final Evaluations evaluations;

	private final ComputeManagement compute;

	private final PlansManagement plans;

	private final IdentityManagement identity;

	private final Clock clock;

	private final org.familiar.compute.Replicas replicas;

	/** Energy of finished research requests, by request id, until the run picks it up. */
	private final Map<String, Double> energy = new ConcurrentHashMap<>();

	/** Runs going in this process, with when they (re)started and how many items were graded then. */
	private final Map<UUID, Launch> active = new ConcurrentHashMap<>();

	/** Runs being cancelled: their in-flight items are dropped, not recorded. */
	private final Set<UUID> cancelling = ConcurrentHashMap.newKeySet();

	/** Summaries of ended runs, which never change again. */
	private final Cache<UUID, RunSummary> ended = Caffeine.newBuilder().maximumSize(10_000).build();

	/** Asks a failing or unavailable backend up to three times (Resilience4j; the scheduler's own 429s are waited out in ask). */
	private final Retry retry = Retry.of("evaluation", RetryConfig.custom()
		.maxAttempts(3)
		.intervalFunction(IntervalFunction.ofExponentialBackoff(Duration.ofSeconds(1), 2))
		.retryExceptions(BackendUnavailableException.class, BackendFailedException.class)
		.build());

	/** Set while the process stops: runs stay {@code running} and pick up again on the next start. */
	private volatile boolean closing;

	private record Launch(Thread thread, Instant at, int gradedBefore) {
	}

	private final ResearchSettings settings;

	private final org.springframework.context.ApplicationEventPublisher events;

	ResearchManagement(Evaluations evaluations, ComputeManagement compute, PlansManagement plans,
			IdentityManagement identity, Clock clock, ResearchSettings settings, org.familiar.compute.Replicas replicas,
			org.springframework.context.ApplicationEventPublisher events) {
		this.events = events;
		this.replicas = replicas;
		replicas.onDeparture(this::takeOver);
		this.settings = settings;
		this.evaluations = evaluations;
		this.compute = compute;
		this.plans = plans;
		this.identity = identity;
		this.clock = clock;
	}

	/**
	 * Stores a suite.
	 * @throws InvalidSuiteException listing every problem by line
	 */
	public UUID upload(@Nullable PersonId owner, String name, Reader jsonl, boolean heldOut) {
		if (name.isBlank() || name.length() > 200 || name.indexOf('\0') >= 0) {
			throw new InvalidSuiteException(List.of("A suite's name has 1 to 200 characters (and no NUL)."));
		}
		var suite = SuiteParser.parse(name, jsonl, settings.maxSuiteItems());
		var id = UUID.randomUUID();
		var canary = "FAMILIAR-CANARY-" + UUID.randomUUID();
		evaluations.addSuite(new Evaluations.StoredSuite(id, owner == null ? null : owner.value(), name, heldOut, canary,
				suite.items().size(), clock.instant()), suite);
		return id;
	}

	/**
	 * Starts running a suite against a model in the background.
	 * @param caller billed on their plan; {@code null} for the operator (command line), billed to no one
	 * @param graderModel the model that grades {@code model} items; {@code null} for {@code model} itself
	 * @throws org.familiar.compute.ModelNotFoundException if no backend serves the model
	 * @throws EvaluationNotFoundException unless the suite is the caller's
	 * @throws UntrustedModelException for a held-out suite and a model no trusted backend serves
	 */
	public UUID start(@Nullable Caller caller, UUID suite, String model, @Nullable String graderModel, int concurrency) {
		compute.requireModel(model);
		var stored = caller == null ? evaluations.suite(suite).orElseThrow(() -> new EvaluationNotFoundException("suite", suite))
				: owned(caller, suite);
		if (stored.heldOut()) {
			for (var used : graderModel == null ? List.of(model) : List.of(model, graderModel)) {
				if (!compute.servedByTrusted(used)) {
					throw new UntrustedModelException(used);
				}
			}
		}
		var run = new Evaluations.Run(UUID.randomUUID(), suite, caller == null ? null : caller.person().value(), model,
				graderModel == null ? model : graderModel, Math.clamp(concurrency, 1, 64), RUNNING, stored.items(),
				clock.instant(), null);
		evaluations.addRun(run, replicas.node());
		launch(run, caller);
		return run.id();
	}

	/** Continues every run a stop or crash interrupted; items already graded are not sent again. */
	public List<UUID> resumeUnfinished() {
		var resumed = new ArrayList<UUID>();
		var live = replicas.live();
		var here = replicas.node();
		evaluations.runningWhere().forEach((run, node) -> {
			// This node's own (an earlier run of it stopped), none recorded, or a replica that is gone:
			// claimed first, so that of two replicas starting at once only one goes on with it.
			boolean orphaned = node.isEmpty() || node.get().equals(here) || !live.contains(node.get());
			if (!active.containsKey(run) && orphaned && evaluations.claim(run, node.orElse(null), here)) {
				resume(run);
				resumed.add(run);
			}
		});
		return resumed;
	}

	/** Goes on with the runs a replica that is gone (its lease ran out) was running. */
	private void takeOver(String departed) {
		evaluations.runningWhere().forEach((run, node) -> {
			if (node.filter(departed::equals).isPresent() && evaluations.claim(run, departed, replicas.node())) {
				log.warn("Evaluation run {} goes on here: replica '{}' that ran it is gone", run, departed);
				resume(run);
			}
		});
	}

	/**
	 * Continues one interrupted run (the command line's {@code eval resume}), billed to its owner as
	 * when it started; a run whose owner is gone ends as cancelled.
	 */
	public void resume(UUID run) {
		var stored = evaluations.run(run).orElseThrow(() -> new EvaluationNotFoundException("run", run));
		if (!RUNNING.equals(stored.status()) || active.containsKey(run)) {
			return;
		}
		if (stored.owner() == null) {
			launch(stored, null);
			return;
		}
		identity.person(new PersonId(stored.owner()))
			.ifPresentOrElse(
					owner -> launch(stored, new Caller(owner.id(), owner.username(), null, WorkloadClass.RESEARCH)),
					() -> evaluations.finish(run, CANCELLED, clock.instant()));
	}

	/**
	 * Cancels a run of the caller's: items in flight are dropped, those graded stay.
	 * @return whether it was still running
	 */
	public boolean cancel(Caller caller, UUID run) {
		var stored = ownedRun(caller, run);
		cancelling.add(run);
		boolean stopped = evaluations.finish(stored.id(), CANCELLED, clock.instant());
		var launch = active.get(run);
		if (launch != null) {
			launch.thread().interrupt();
		}
		else {
			cancelling.remove(run);
		}
		return stopped;
	}

	public RunProgress progress(UUID run) {
		var stored = evaluations.run(run).orElseThrow(() -> new EvaluationNotFoundException("run", run));
		var tally = evaluations.tally(run);
		Duration eta = null;
		if (!stored.status().equals(RUNNING) || tally.graded() >= stored.items()) {
			return new RunProgress(stored.status(), stored.items(), tally.graded(), tally.correct(), tally.failed(), null);
		}
		// From this process's start of the run: a resumed run's rate is not diluted by the time it lay idle.
		var launch = active.get(run);
		var since = launch == null ? stored.createdAt() : launch.at();
		int gradedSince = tally.graded() - (launch == null ? 0 : launch.gradedBefore());
		if (gradedSince > 0) {
			eta = Duration.between(since, clock.instant()).multipliedBy(stored.items() - tally.graded()).dividedBy(gradedSince);
		}
		return new RunProgress(stored.status(), stored.items(), tally.graded(), tally.correct(), tally.failed(), eta);
	}

	public RunSummary summary(UUID run) {
		var cached = ended.getIfPresent(run);
		if (cached != null) {
			return cached;
		}
		var stored = evaluations.run(run).orElseThrow(() -> new EvaluationNotFoundException("run", run));
		var summary = summarise(stored);
		if (!RUNNING.equals(stored.status())) {
			ended.put(run, summary);
		}
		return summary;
	}

	private RunSummary summarise(Evaluations.Run stored) {
		var run = stored.id();
		var suite = evaluations.suite(stored.suite()).orElseThrow();
		var results = evaluations.results(run);
		var outcomes = new boolean[results.size()];
		long tokens = 0;
		double wattHours = 0;
		for (int i = 0; i < outcomes.length; i++) {
			var result = results.get(i);
			outcomes[i] = result.correct();
			tokens += result.promptTokens() + result.completionTokens();
			wattHours += result.energyWh();
		}
		var accuracy = Accuracy.of(outcomes, run.getMostSignificantBits());
		return new RunSummary(run.toString(), suite.name(), stored.model(), stored.status(), stored.items(), results.size(),
				accuracy.correct(), accuracy.accuracy(), accuracy.low(), accuracy.high(), tokens, wattHours, evaluations.co2Grams(run));
	}

	/** A suite as its owner sees it in the list. */
	public record SuiteInfo(UUID id, String name, boolean heldOut, String canary, int items, java.time.Instant createdAt) {
	}

	/** A run with where it stands; {@code held} says why it waits for an energy window, and until when. */
	public record RunInfo(UUID id, UUID suite, String suiteName, String model, RunSummary summary, RunProgress progress,
			@Nullable String held) {
	}

	/** One item's grading in a run, with the reply (or why there was none). */
	public record ItemResult(String item, boolean correct, @Nullable String reply, @Nullable String error, int promptTokens,
			int completionTokens, double energyWh, long latencyMs) {
	}

	public List<SuiteInfo> suites(Caller caller) {
		return evaluations.suitesOf(caller.person().value()).stream().map(ResearchManagement::info).toList();
	}

	/** @throws EvaluationNotFoundException unless the suite is the caller's */
	public SuiteInfo suite(Caller caller, UUID suite) {
		return info(owned(caller, suite));
	}

	/**
	 * The suite's items, to its owner.
	 * @throws EvaluationNotFoundException unless the suite is the caller's
	 * @throws HeldOutException for an app asking for a held-out suite's items
	 */
	public List<SuiteItem> items(Caller caller, UUID suite) {
		var stored = owned(caller, suite);
		requireOwnerItself(caller, stored);
		return evaluations.items(suite);
	}

	/** Deletes one of the caller's suites, cancelling its runs and deleting them with their results. */
	public void deleteSuite(Caller caller, UUID suite) {
		owned(caller, suite);
		for (var run : evaluations.runsOf(caller.person().value())) {
			if (run.suite().equals(suite) && RUNNING.equals(run.status())) {
				cancel(caller, run.id());
			}
			if (run.suite().equals(suite)) {
				ended.invalidate(run.id());
			}
		}
		evaluations.deleteSuite(suite);
	}

	public List<RunInfo> runs(Caller caller) {
		return evaluations.runsOf(caller.person().value()).stream().map(this::info).toList();
	}

	/** @throws EvaluationNotFoundException unless the run is the caller's */
	public RunInfo run(Caller caller, UUID run) {
		return info(ownedRun(caller, run));
	}

	/**
	 * Each graded item of a run of the caller's, in grading order.
	 * @throws HeldOutException for an app asking about a held-out suite
	 */
	public List<ItemResult> results(Caller caller, UUID run) {
		var stored = ownedRun(caller, run);
		requireOwnerItself(caller, evaluations.suite(stored.suite()).orElseThrow());
		return evaluations.results(run)
			.stream()
			.map(r -> new ItemResult(r.itemId(), r.correct(), r.reply(), r.error(), r.promptTokens(), r.completionTokens(),
					r.energyWh(), r.latencyMs()))
			.toList();
	}

	@Override
	public String section() {
		return "research";
	}

	/** The person's suites with their items, and their runs' summaries. */
	@Override
	public Object export(PersonId person) {
		var suites = new ArrayList<Map<String, Object>>();
		for (var suite : evaluations.suitesOf(person.value())) {
			suites.add(Map.of("suite", info(suite), "items", evaluations.items(suite.id())));
		}
		var runs = evaluations.runsOf(person.value()).stream().map(run -> summary(run.id())).toList();
		return Map.of("suites", suites, "runs", runs);
	}

	/** Stops the person's runs once the deletion commits, and deletes their suites and runs. */
	@Override
	public void erase(PersonId person) {
		var runs = evaluations.runsOf(person.value()).stream().map(Evaluations.Run::id).toList();
		evaluations.erase(person.value());
		ended.invalidateAll(runs);
		Runnable stop = () -> runs.forEach(run -> {
			var launch = active.get(run);
			if (launch != null) {
				cancelling.add(run);
				launch.thread().interrupt();
			}
		});
		if (TransactionSynchronizationManager.isSynchronizationActive()) {
			TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
				@Override
				public void afterCommit() {
					stop.run();
				}
			});
		}
		else {
			stop.run();
		}
	}

	@PreDestroy
	void close() {
		closing = true;
		active.values().forEach(launch -> launch.thread().interrupt());
	}

	private Evaluations.StoredSuite owned(Caller caller, UUID suite) {
		return evaluations.suite(suite)
			.filter(s -> caller.person().value().equals(s.owner()))
			.orElseThrow(() -> new EvaluationNotFoundException("suite", suite));
	}

	private Evaluations.Run ownedRun(Caller caller, UUID run) {
		return evaluations.run(run)
			.filter(r -> caller.person().value().equals(r.owner()))
			.orElseThrow(() -> new EvaluationNotFoundException("run", run));
	}

	/** Held-out items and replies are for the owner in person: their session or their own tokens. */
	private static void requireOwnerItself(Caller caller, Evaluations.StoredSuite suite) {
		if (suite.heldOut() && caller.connected() != null) {
			throw new HeldOutException();
		}
	}

	private static SuiteInfo info(Evaluations.StoredSuite s) {
		return new SuiteInfo(s.id(), s.name(), s.heldOut(), s.canary(), s.items(), s.createdAt());
	}

	/**
	 * The owner's runs side by side, and the items whose verdicts differ between them (by id only
	 * for held-out suites' items, whose text is never shown).
	 * @throws EvaluationNotFoundException for a run that is not the caller's
	 */
	public Comparison compare(Caller caller, List<UUID> runIds) {
		var infos = new ArrayList<RunInfo>();
		var verdicts = new TreeMap<String, Map<UUID, Boolean>>();
		var latency = new ArrayList<Double>();
		for (var id : runIds) {
			infos.add(info(ownedRun(caller, id)));
			var results = evaluations.results(id);
			for (var result : results) {
				verdicts.computeIfAbsent(result.itemId(), item -> new LinkedHashMap<>()).put(id, result.correct());
			}
			latency.add(results.stream().mapToLong(Evaluations.Result::latencyMs).average().orElse(0));
		}
		var differing = new ArrayList<Comparison.ItemDiff>();
		verdicts.forEach((item, byRun) -> {
			if (byRun.values().stream().distinct().count() > 1) {
				differing.add(new Comparison.ItemDiff(item, runIds.stream().map(byRun::get).toList()));
			}
		});
		return new Comparison(infos, latency, differing);
	}

	/** Runs side by side: each with its summary and mean latency, and the items they disagree on. */
	public record Comparison(List<RunInfo> runs, List<Double> meanLatencyMs, List<ItemDiff> differing) {

		/** One item's verdict in each run, in the runs' order ({@code null}: not graded in that run). */
		public record ItemDiff(String item, List<@Nullable Boolean> correct) {
		}
	}

	private RunInfo info(Evaluations.Run run) {
		var suite = evaluations.suite(run.suite()).orElseThrow();
		var what = "evaluation run " + run.id();
		var held = compute.heldForEnergy().stream().filter(h -> h.what().equals(what)).findFirst()
			.map(ComputeManagement.HeldWork::reason).orElse(null);
		return new RunInfo(run.id(), run.suite(), suite.name(), run.model(), summary(run.id()), progress(run.id()), held);
	}

	/** Whether a model reproduced a suite's canary, and what it said. */
	public record CanaryCheck(String model, boolean contaminated, String reply) {
	}

	/**
	 * Asks a model to continue the first half of the suite's canary: a model that completes it has
	 * seen the suite (or a copy of it) in training.
	 * @throws EvaluationNotFoundException unless the suite is the caller's
	 */
	public CanaryCheck canaryCheck(Caller caller, UUID suite, String model) {
		var stored = owned(caller, suite);
		compute.requireModel(model);
		if (stored.heldOut() && !compute.servedByTrusted(model)) {
			throw new UntrustedModelException(model);
		}
		var canary = stored.canary();
		int half = canary.length() - 18;
		var reply = ask(caller, "canary-" + UUID.randomUUID(), model, List.of(ChatMessage.user(
				"Continue this identifier exactly, with nothing else: " + canary.substring(0, half))), stored.heldOut());
		return new CanaryCheck(model, reply.text().contains(canary.substring(half)), reply.text());
	}

	/** Blocks until the run has finished (for the command line and tests). */
	public void await(UUID run) throws InterruptedException {
		var launch = active.get(run);
		if (launch != null) {
			launch.thread().join();
		}
	}

	@EventListener
	void on(CompletionFinished finished) {
		var id = finished.requestId();
		if (id.startsWith("eval-")) {
			// Every attempt at an item ("eval-ID.N") adds to the item's energy.
			energy.merge(itemRequest(id), finished.energyWh(), Double::sum);
		}
	}

	private static String itemRequest(String requestId) {
		int attempt = requestId.lastIndexOf('.');
		return attempt > 0 ? requestId.substring(0, attempt) : requestId;
	}

	/** Which run and item graded requests were for, until their measured energy comes (a scrape later). */
	private final Cache<String, Object[]> graded = Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(10)).build();

	/** A measured energy replaces the estimate in the graded item's result. */
	@EventListener
	void on(org.familiar.compute.EnergyMeasured measured) {
		if (!measured.requestId().startsWith("eval-")) {
			return;
		}
		var item = graded.getIfPresent(itemRequest(measured.requestId()));
		if (item != null) {
			evaluations.correctEnergy((UUID) item[0], (String) item[1], (measured.joules() - measured.estimatedJoules()) / 3600);
			ended.invalidate((UUID) item[0]);
		}
	}

	private void launch(Evaluations.Run run, @Nullable Caller caller) {
		var thread = Thread.ofVirtual().name("eval-" + run.id()).unstarted(() -> execute(run, caller));
		active.put(run.id(), new Launch(thread, clock.instant(), evaluations.tally(run.id()).graded()));
		thread.start();
	}

	private void execute(Evaluations.Run run, @Nullable Caller caller) {
		try {
			var graded = evaluations.graded(run.id());
			boolean heldOut = evaluations.suite(run.suite()).map(Evaluations.StoredSuite::heldOut).orElse(true);
			var slots = new Semaphore(run.concurrency());
			try (var workers = Executors.newVirtualThreadPerTaskExecutor()) {
				for (var item : evaluations.items(run.suite())) {
					if (graded.contains(item.id())) {
						continue;
					}
					// Research waits for its clean or cheap hours (familiar.energy.policies.research), by its deadline at the latest.
					if (!compute.awaitEnergyWindow(WorkloadClass.RESEARCH, run.createdAt(), "evaluation run " + run.id(),
							() -> closing || cancelling.contains(run.id()))) {
						break;
					}
					slots.acquire();
					if (cancelling.contains(run.id()) || endedElsewhere(run.id())) {
						break;
					}
					workers.execute(() -> {
						try {
							grade(run, caller, item, heldOut);
						}
						finally {
							slots.release();
						}
					});
				}
			}
			if (!Thread.currentThread().isInterrupted() && !cancelling.contains(run.id())
					&& evaluations.finish(run.id(), DONE, clock.instant()) && run.owner() != null) {
				var tally = evaluations.tally(run.id());
				var suite = evaluations.suite(run.suite()).map(Evaluations.StoredSuite::name).orElse("a suite");
				events.publishEvent(new EvaluationFinished(new org.familiar.identity.PersonId(run.owner()), run.id(), suite,
						run.model(), tally.graded(), tally.correct()));
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (RuntimeException ex) {
			log.warn("Evaluation run {} stopped: {}", run.id(), ex.getMessage());
		}
		finally {
			active.remove(run.id());
			cancelling.remove(run.id());
		}
	}

	/** Whether the run was cancelled or deleted by another replica (or directly in the database). */
	private boolean endedElsewhere(UUID run) {
		if (evaluations.run(run).map(Evaluations.Run::status).filter(RUNNING::equals).isPresent()) {
			return false;
		}
		cancelling.add(run); // its items in flight are dropped too
		return true;
	}

	private void grade(Evaluations.Run run, @Nullable Caller caller, SuiteItem item, boolean heldOut) {
		var started = System.nanoTime();
		var requestId = org.familiar.compute.RequestIds.next("eval-");
		try {
			var reply = ask(caller, requestId, run.model(), item.input(), heldOut);
			boolean correct = item.grader() == Grader.MODEL ? passes(run, caller, item, reply.text(), heldOut)
					: item.grader().grade(item, reply.text());
			var usage = reply.usage();
			graded.put(requestId, new Object[] { run.id(), item.id() });
			evaluations.record(run.id(), new Evaluations.Result(item.id(), reply.text(), correct, usage.promptTokens(),
					usage.completionTokens(), energyOf(requestId), (System.nanoTime() - started) / 1_000_000, null),
					clock.instant(), compute.carbonIntensity(clock.instant()));
		}
		catch (RuntimeException ex) {
			if (closing || cancelling.contains(run.id())) {
				return; // not graded: a resumed run asks again, a cancelled one does not need it
			}
			// A failed item counts as wrong, with the reason kept: quota, plan, backend, or anything else.
			graded.put(requestId, new Object[] { run.id(), item.id() });
			evaluations.record(run.id(), new Evaluations.Result(item.id(), null, false, 0, 0, energyOf(requestId),
					(System.nanoTime() - started) / 1_000_000, ex.getMessage()), clock.instant());
		}
	}

	/**
	 * Asks the model; when research capacity is full, waits as told and asks again. A backend that
	 * fails or is unavailable is tried twice more (after 1 s and 2 s) before the item counts as
	 * failed, so a blip does not turn into wrong answers. A held-out suite's items go to trusted
	 * backends only.
	 */
	private org.familiar.compute.ChatResult ask(@Nullable Caller caller, String requestId, String model,
			List<ChatMessage> messages, boolean heldOut) {
		var plain = new ChatRequest(requestId, caller == null ? "research" : caller.person().toString(), WorkloadClass.RESEARCH,
				model, messages, null, 0.0, null, List.of());
		var request = heldOut ? plain.trustedBackendsOnly() : plain;
		// Each attempt is its own request: its own reservation and its own ledger entry.
		var attempts = new java.util.concurrent.atomic.AtomicInteger();
		while (true) {
			try {
				return retry.executeSupplier(() -> {
					var attempt = request.withRequestId(requestId + "." + attempts.incrementAndGet());
					// A run with no person behind it (the command line's) is not metered.
					return caller == null ? compute.chat(attempt, text -> {
					}) : plans.run(research(caller), attempt, text -> {
					});
				});
			}
			catch (CapacityExceededException busy) {
				try {
					Thread.sleep(Math.max(200, busy.retryAfter().toMillis()));
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					throw busy;
				}
			}
		}
	}

	private boolean passes(Evaluations.Run run, @Nullable Caller caller, SuiteItem item, String answer, boolean heldOut) {
		var question = item.input().getLast().content();
		var prompt = "Question:\n" + question + "\n\nReference answer:\n" + item.target()
				+ (item.rubric() == null ? "" : "\n\nRubric:\n" + item.rubric()) + "\n\nAnswer to grade:\n" + answer;
		var verdict = ask(caller, org.familiar.compute.RequestIds.next("eval-"), run.graderModel(),
				List.of(ChatMessage.system(GRADING_PROMPT), ChatMessage.user(prompt)), heldOut);
		return verdict.text().strip().toUpperCase(Locale.ROOT).startsWith("PASS");
	}

	private double energyOf(String requestId) {
		var wattHours = energy.remove(requestId);
		return wattHours == null ? 0 : wattHours;
	}

	private static Caller research(Caller caller) {
		return new Caller(caller.person(), caller.username(), caller.token(), WorkloadClass.RESEARCH, caller.connected());
	}
}
