package org.familiar.research;

import java.io.Reader;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.CompletionFinished;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.PersonId;
import org.familiar.plans.PlansManagement;
import org.familiar.research.internal.Evaluations;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Service;

/**
 * The research module's entry point: suites are uploaded once and run against models as
 * {@code research} work, so they take only capacity that chat does not need. A run grades each
 * item exactly once (one result row per run and item) and can be resumed after a restart; its
 * summary carries a 95 % bootstrap interval, tokens and energy.
 */
@Service
public class ResearchManagement {

	private static final Logger log = LoggerFactory.getLogger(ResearchManagement.class);

	static final String RUNNING = "running";

	static final String DONE = "done";

	private static final String GRADING_PROMPT = """
			You grade an answer against a reference. Reply with exactly PASS or FAIL, nothing else.""";

	private final Evaluations evaluations;

	private final ComputeManagement compute;

	private final PlansManagement plans;

	private final Clock clock;

	/** Energy of finished research requests, by request id, until the run picks it up. */
	private final Map<String, Double> energy = new ConcurrentHashMap<>();

	private final Map<UUID, Thread> active = new ConcurrentHashMap<>();

	ResearchManagement(Evaluations evaluations, ComputeManagement compute, PlansManagement plans, Clock clock) {
		this.evaluations = evaluations;
		this.compute = compute;
		this.plans = plans;
		this.clock = clock;
	}

	/**
	 * Stores a suite.
	 * @throws InvalidSuiteException listing every problem by line
	 */
	public UUID upload(@Nullable PersonId owner, String name, Reader jsonl, boolean heldOut) {
		var suite = SuiteParser.parse(name, jsonl);
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
	 */
	public UUID start(@Nullable Caller caller, UUID suite, String model, @Nullable String graderModel, int concurrency) {
		compute.requireModel(model);
		var stored = evaluations.suite(suite).orElseThrow(() -> new IllegalArgumentException("No suite " + suite));
		var run = new Evaluations.Run(UUID.randomUUID(), suite, caller == null ? null : caller.person().value(), model,
				graderModel == null ? model : graderModel, Math.clamp(concurrency, 1, 64), RUNNING, stored.items(),
				clock.instant(), null);
		evaluations.addRun(run);
		launch(run, caller);
		return run.id();
	}

	/** Continues every run a stop or crash interrupted; items already graded are not sent again. */
	public List<UUID> resumeUnfinished() {
		var resumed = new ArrayList<UUID>();
		for (var run : evaluations.runsIn(RUNNING)) {
			if (!active.containsKey(run.id())) {
				launch(run, null);
				resumed.add(run.id());
			}
		}
		return resumed;
	}

	/** Continues one interrupted run (the command line's {@code eval resume}). */
	public void resume(UUID run) {
		var stored = evaluations.run(run).orElseThrow(() -> new IllegalArgumentException("No run " + run));
		if (RUNNING.equals(stored.status()) && !active.containsKey(run)) {
			launch(stored, null);
		}
	}

	public RunProgress progress(UUID run) {
		var stored = evaluations.run(run).orElseThrow(() -> new IllegalArgumentException("No run " + run));
		var results = evaluations.results(run);
		int correct = (int) results.stream().filter(Evaluations.Result::correct).count();
		Duration eta = null;
		if (!results.isEmpty() && results.size() < stored.items()) {
			var elapsed = Duration.between(stored.createdAt(), clock.instant());
			eta = elapsed.multipliedBy(stored.items() - results.size()).dividedBy(results.size());
		}
		return new RunProgress(stored.status(), stored.items(), results.size(), correct, eta);
	}

	public RunSummary summary(UUID run) {
		var stored = evaluations.run(run).orElseThrow(() -> new IllegalArgumentException("No run " + run));
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
				accuracy.correct(), accuracy.accuracy(), accuracy.low(), accuracy.high(), tokens, wattHours);
	}

	/** A suite as its owner sees it in the list. */
	public record SuiteInfo(UUID id, String name, boolean heldOut, String canary, int items, java.time.Instant createdAt) {
	}

	/** A run with where it stands. */
	public record RunInfo(UUID id, UUID suite, String suiteName, String model, RunSummary summary, RunProgress progress) {
	}

	public List<SuiteInfo> suites(PersonId owner) {
		return evaluations.suitesOf(owner.value())
			.stream()
			.map(s -> new SuiteInfo(s.id(), s.name(), s.heldOut(), s.canary(), s.items(), s.createdAt()))
			.toList();
	}

	public List<RunInfo> runs(PersonId owner) {
		return evaluations.runsOf(owner.value()).stream().map(this::info).toList();
	}

	/**
	 * The owner's runs side by side, and the items whose verdicts differ between them (by id only
	 * for held-out suites' items, whose text is never shown).
	 * @throws IllegalArgumentException for a run that is not the owner's
	 */
	public Comparison compare(PersonId owner, List<UUID> runIds) {
		var infos = new ArrayList<RunInfo>();
		var verdicts = new java.util.TreeMap<String, java.util.Map<UUID, Boolean>>();
		for (var id : runIds) {
			var run = evaluations.run(id).filter(r -> owner.value().equals(r.owner()))
				.orElseThrow(() -> new IllegalArgumentException("No run " + id));
			infos.add(info(run));
			for (var result : evaluations.results(id)) {
				verdicts.computeIfAbsent(result.itemId(), item -> new java.util.LinkedHashMap<>()).put(id, result.correct());
			}
		}
		var differing = new ArrayList<Comparison.ItemDiff>();
		verdicts.forEach((item, byRun) -> {
			if (byRun.values().stream().distinct().count() > 1) {
				differing.add(new Comparison.ItemDiff(item, runIds.stream().map(byRun::get).toList()));
			}
		});
		var latency = new ArrayList<Double>();
		for (var id : runIds) {
			latency.add(evaluations.results(id).stream().mapToLong(Evaluations.Result::latencyMs).average().orElse(0));
		}
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
		return new RunInfo(run.id(), run.suite(), suite.name(), run.model(), summary(run.id()), progress(run.id()));
	}

	/** Whether a model reproduced a suite's canary, and what it said. */
	public record CanaryCheck(String model, boolean contaminated, String reply) {
	}

	/**
	 * Asks a model to continue the first half of the suite's canary: a model that completes it has
	 * seen the suite (or a copy of it) in training.
	 * @throws IllegalArgumentException unless the suite is the owner's
	 */
	public CanaryCheck canaryCheck(PersonId owner, UUID suite, String model) {
		var stored = evaluations.suite(suite).filter(s -> owner.value().equals(s.owner()))
			.orElseThrow(() -> new IllegalArgumentException("No suite " + suite));
		compute.requireModel(model);
		var canary = stored.canary();
		int half = canary.length() - 18;
		var reply = ask(null, "eval-" + UUID.randomUUID(), model, List.of(ChatMessage.user(
				"Continue this identifier exactly, with nothing else: " + canary.substring(0, half))), stored.heldOut());
		return new CanaryCheck(model, reply.text().contains(canary.substring(half)), reply.text());
	}

	/** Blocks until the run has finished (for the command line and tests). */
	public void await(UUID run) throws InterruptedException {
		var thread = active.get(run);
		if (thread != null) {
			thread.join();
		}
	}

	@EventListener
	void on(CompletionFinished finished) {
		if (finished.requestId().startsWith("eval-")) {
			energy.put(finished.requestId(), finished.energyWh());
		}
	}

	private void launch(Evaluations.Run run, @Nullable Caller caller) {
		var thread = Thread.ofVirtual().name("eval-" + run.id()).unstarted(() -> execute(run, caller));
		active.put(run.id(), thread);
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
					slots.acquire();
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
			evaluations.finish(run.id(), DONE, clock.instant());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (RuntimeException ex) {
			log.warn("Evaluation run {} stopped: {}", run.id(), ex.getMessage());
		}
		finally {
			active.remove(run.id());
		}
	}

	private void grade(Evaluations.Run run, @Nullable Caller caller, SuiteItem item, boolean heldOut) {
		var started = System.nanoTime();
		var requestId = "eval-" + UUID.randomUUID();
		try {
			var reply = ask(caller, requestId, run.model(), item.input(), heldOut);
			boolean correct = item.grader() == Grader.MODEL ? passes(run, caller, item, reply.text(), heldOut)
					: item.grader().grade(item, reply.text());
			var usage = reply.usage();
			evaluations.record(run.id(), new Evaluations.Result(item.id(), reply.text(), correct, usage.promptTokens(),
					usage.completionTokens(), energyOf(requestId), (System.nanoTime() - started) / 1_000_000, null),
					clock.instant());
		}
		catch (RuntimeException ex) {
			// A failed item counts as wrong, with the reason kept: quota, plan, backend, or anything else.
			evaluations.record(run.id(), new Evaluations.Result(item.id(), null, false, 0, 0, energyOf(requestId),
					(System.nanoTime() - started) / 1_000_000, ex.getMessage()), clock.instant());
		}
	}

	/**
	 * Asks the model; when research capacity is full, waits as told and asks again. A held-out
	 * suite's items go to trusted backends only.
	 */
	private org.familiar.compute.ChatResult ask(@Nullable Caller caller, String requestId, String model,
			List<ChatMessage> messages, boolean heldOut) {
		var plain = new ChatRequest(requestId, caller == null ? "research" : caller.person().toString(), WorkloadClass.RESEARCH,
				model, messages, null, 0.0, null, List.of());
		var request = heldOut ? plain.trustedBackendsOnly() : plain;
		while (true) {
			try {
				return compute.chat(caller == null ? request : plans.admit(research(caller), request), text -> {
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
		var verdict = ask(caller, "eval-" + UUID.randomUUID(), run.graderModel(),
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
