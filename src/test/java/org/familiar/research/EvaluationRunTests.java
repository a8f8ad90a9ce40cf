package org.familiar.research;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringReader;
import java.nio.file.Files;
import java.time.Instant;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.research.internal.Evaluations;
import org.familiar.testing.CliProcess;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.RunningFamiliar;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Evaluation runs against a stand-in model server whose answers follow a known pattern (right for
 * even numbers, wrong for odd ones), so the accuracy is known exactly.
 */
class EvaluationRunTests extends RunningFamiliar {

	/** A second model server, configured as trusted: the only one held-out items may reach. */
	static FakeModelServer vault;

	@org.springframework.test.context.DynamicPropertySource
	static void trustedBackend(org.springframework.test.context.DynamicPropertyRegistry registry) throws java.io.IOException {
		vault = new FakeModelServer(0, 0, "vault-model");
		registry.add("familiar.backends.vault.url", vault::baseUrl);
		registry.add("familiar.backends.vault.trusted", () -> "true");
	}

	@org.junit.jupiter.api.AfterAll
	static void closeVault() {
		vault.close();
	}

	@Autowired
	ResearchManagement research;

	@Autowired
	Evaluations evaluations;

	@Autowired
	JdbcClient jdbc;

	/** Twenty "What is N plus N?" items, graded as numbers. */
	static final String ADDITION = IntStream.rangeClosed(1, 20)
		.mapToObj(n -> "{\"id\": \"add-" + n + "\", \"input\": \"What is " + n + " plus " + n + "?\", \"target\": " + (2 * n)
				+ ", \"grader\": \"number\"}")
		.collect(Collectors.joining("\n"));

	@BeforeEach
	void answerEvenNumbersRightly() {
		backend.script = request -> {
			var messages = request.path("messages");
			var last = messages.get(messages.size() - 1).path("content").asText();
			if (messages.get(0).path("content").asText().startsWith("You grade an answer")) {
				return last.contains("scattering") ? "PASS" : "FAIL";
			}
			if (last.startsWith("Why is the sky blue")) {
				return "Because of Rayleigh scattering.";
			}
			var matcher = java.util.regex.Pattern.compile("What is (\\d+) plus").matcher(last);
			if (matcher.find()) {
				int n = Integer.parseInt(matcher.group(1));
				return n % 2 == 0 ? "The answer is " + (2 * n) + "." : "The answer is 0.";
			}
			return null;
		};
	}

	static Caller as(org.familiar.identity.Person person) {
		return new Caller(person.id(), person.username(), null, WorkloadClass.INTERACTIVE);
	}

	@AfterEach
	void unscript() {
		backend.script = request -> null;
	}

	@Test
	void aRunGivesExactlyTheKnownAccuracyWithAnInterval() throws Exception {
		var suite = research.upload(null, "addition", new StringReader(ADDITION), false);
		int before = backend.completions.get();
		var run = research.start(null, suite, FakeModelServer.MODEL, null, 4);
		research.await(run);

		var summary = research.summary(run);
		assertThat(summary.status()).isEqualTo("done");
		assertThat(summary.items()).isEqualTo(20);
		assertThat(summary.graded()).isEqualTo(20);
		assertThat(summary.correct()).isEqualTo(10);
		assertThat(summary.accuracy()).isEqualTo(0.5);
		assertThat(summary.ciLow()).isBetween(0.25, 0.5);
		assertThat(summary.ciHigh()).isBetween(0.5, 0.75);
		assertThat(summary.tokens()).isPositive();
		assertThat(summary.energyWh()).isPositive();
		assertThat(backend.completions.get() - before).isEqualTo(20);
		// Research work is never personalised, and runs in the research class.
		assertThat(backend.systemPromptFor("What is 7 plus 7?")).isEmpty();
		assertThat(research.progress(run).finished()).isTrue();
	}

	@Test
	void aResumedRunGradesOnlyWhatIsLeftAndNothingTwice() throws Exception {
		var suite = research.upload(null, "addition", new StringReader(ADDITION), false);
		var run = UUID.randomUUID();
		// A run that was interrupted after grading four items (as after a crash), on a replica that is gone.
		evaluations.addRun(new Evaluations.Run(run, suite, null, FakeModelServer.MODEL, FakeModelServer.MODEL, 2, "running", 20,
				Instant.now(), null), "a-replica-that-is-gone");
		for (int n = 1; n <= 4; n++) {
			evaluations.record(run, new Evaluations.Result("add-" + n, "earlier", n % 2 == 0, 10, 5, 0.01, 100, null), Instant.now());
		}
		int before = backend.completions.get();
		assertThat(research.resumeUnfinished()).contains(run);
		research.await(run);

		assertThat(backend.completions.get() - before).isEqualTo(16);
		assertThat(jdbc.sql("select count(*) from eval_result where run_id = :run").param("run", run).query(Long.class).single())
			.isEqualTo(20);
		assertThat(evaluations.results(run).stream().filter(r -> r.itemId().equals("add-1")).findFirst().orElseThrow().reply())
			.isEqualTo("earlier");
		assertThat(research.summary(run).correct()).isEqualTo(10);
		assertThat(research.resumeUnfinished()).doesNotContain(run);
		// Recording an item again changes nothing.
		assertThat(evaluations.record(run, new Evaluations.Result("add-5", "again", true, 1, 1, 0, 1, null), Instant.now())).isFalse();
	}

	@Test
	void heldOutItemsReachOnlyTrustedBackends() throws Exception {
		var suite = research.upload(null, "secret addition", new StringReader(ADDITION), true);
		int untrusted = backend.completions.get();
		int runs = evaluations.runsIn("running").size() + evaluations.runsIn("done").size();
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> research.start(null, suite, FakeModelServer.MODEL, null, 4))
			.isInstanceOf(UntrustedModelException.class)
			.hasMessageContaining("No trusted backend serves 'fake-model'");
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> research.start(null, suite, "vault-model", FakeModelServer.MODEL, 4))
			.as("nor may an untrusted model grade it")
			.isInstanceOf(UntrustedModelException.class);
		assertThat(evaluations.runsIn("running").size() + evaluations.runsIn("done").size()).as("no run created").isEqualTo(runs);
		assertThat(backend.completions.get()).as("nothing reached the untrusted backend").isEqualTo(untrusted);

		int trusted = vault.completions.get();
		var run = research.start(null, suite, "vault-model", null, 4);
		research.await(run);
		assertThat(vault.completions.get() - trusted).isEqualTo(20);
		assertThat(backend.completions.get()).isEqualTo(untrusted);
		assertThat(research.summary(run).graded()).isEqualTo(20);
	}

	@Test
	void aBackendThatFailsOnceIsAskedAgainAndTheItemIsNotCountedWrong() throws Exception {
		var answers = backend.script;
		var failedOnce = new java.util.concurrent.atomic.AtomicBoolean();
		backend.script = request -> request.toString().contains("What is 4 plus 4") && failedOnce.compareAndSet(false, true)
				? FakeModelServer.FAIL : answers.apply(request);
		var suite = research.upload(null, "addition", new StringReader(ADDITION), false);
		int before = backend.completions.get();
		var run = research.start(null, suite, FakeModelServer.MODEL, null, 4);
		research.await(run);
		assertThat(failedOnce).isTrue();
		assertThat(backend.completions.get() - before).isEqualTo(21);
		assertThat(research.progress(run).failed()).isZero();
		assertThat(research.summary(run).correct()).isEqualTo(10);
		assertThat(evaluations.results(run)).filteredOn(r -> r.itemId().equals("add-4"))
			.singleElement()
			.satisfies(r -> assertThat(r.correct()).isTrue());
	}

	@Test
	void aRunCancelledByAnotherReplicaStopsHereToo() throws Exception {
		var answers = backend.script;
		backend.script = request -> {
			try {
				Thread.sleep(100);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return answers.apply(request);
		};
		var suite = research.upload(null, "addition", new StringReader(ADDITION), false);
		var run = research.start(null, suite, FakeModelServer.MODEL, null, 1);
		org.awaitility.Awaitility.await().until(() -> research.progress(run).graded() >= 2);
		// Another replica cancels it: only the database knows.
		evaluations.finish(run, "cancelled", Instant.now());
		research.await(run);
		var progress = research.progress(run);
		assertThat(progress.status()).isEqualTo("cancelled");
		assertThat(progress.graded()).isLessThanOrEqualTo(4);
		assertThat(progress.failed()).isZero();
		assertThat(research.resumeUnfinished()).doesNotContain(run);
	}

	@Test
	void theCanaryCheckFlagsAModelThatReproducesTheCanary() {
		var owner = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		var suite = research.upload(owner.id(), "addition", new StringReader(ADDITION), false);
		var canary = research.suites(as(owner)).getFirst().canary();
		assertThat(canary).startsWith("FAMILIAR-CANARY-");
		// The stand-in repeats the prompt, which holds only the canary's first part: clean.
		var clean = research.canaryCheck(as(owner), suite, FakeModelServer.MODEL);
		assertThat(clean.contaminated()).isFalse();
		// A model that has seen the suite completes it.
		backend.script = request -> request.toString().contains("Continue this identifier") ? canary : null;
		assertThat(research.canaryCheck(as(owner), suite, FakeModelServer.MODEL).contaminated()).isTrue();
		var stranger = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> research.canaryCheck(as(stranger), suite, FakeModelServer.MODEL))
			.isInstanceOf(IllegalArgumentException.class);
	}

	@Test
	void theModelGraderAsksAGradingModelWithTheRubric() throws Exception {
		var suite = research.upload(null, "essays", new StringReader("""
				{"id": "sky", "input": "Why is the sky blue?", "target": "Rayleigh scattering of short wavelengths", "grader": "model", "rubric": "Must name scattering."}
				{"id": "sum", "input": "What is 3 plus 3?", "target": "6", "grader": "model"}
				"""), false);
		var run = research.start(null, suite, FakeModelServer.MODEL, null, 2);
		research.await(run);
		assertThat(research.summary(run).correct()).isEqualTo(1);
		assertThat(evaluations.results(run)).filteredOn(r -> r.itemId().equals("sky")).allMatch(Evaluations.Result::correct);
	}

	@Test
	void aPersonsRunIsResearchWorkOnTheirPlan() throws Exception {
		var ada = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		var suite = research.upload(ada.id(), "addition", new StringReader(ADDITION), false);
		var run = research.start(new Caller(ada.id(), ada.username(), null, WorkloadClass.INTERACTIVE), suite, FakeModelServer.MODEL,
				null, 4);
		research.await(run);
		org.awaitility.Awaitility.await().until(() -> jdbc.sql(
				"select count(*) from ledger_entry where person_id = :p and kind = 'settle' and workload = 'research'")
			.param("p", ada.id().value())
			.query(Long.class)
			.single() == 20);
	}

	@Test
	void theCommandLineRunsASuiteAndPrintsTheSummaryLast() throws Exception {
		var file = Files.createTempFile("addition", ".jsonl");
		Files.writeString(file, ADDITION);
		var result = CliProcess.run(config, "eval", "run", file.toString(), "--model", FakeModelServer.MODEL,
				"--familiar.backends.fake.url=" + backend.baseUrl(), "--familiar.embedded.enabled=false");
		assertThat(result.exit()).as(result.err()).isZero();
		assertThat(result.err()).contains("eval: run ").contains("20/20 graded, 10 correct");
		var last = result.out().strip().lines().reduce((a, b) -> b).orElseThrow();
		var summary = new ObjectMapper().readTree(last);
		assertThat(summary.path("suite").asText()).startsWith("addition");
		assertThat(summary.path("model").asText()).isEqualTo(FakeModelServer.MODEL);
		assertThat(summary.path("items").asInt()).isEqualTo(20);
		assertThat(summary.path("correct").asInt()).isEqualTo(10);
		assertThat(summary.path("accuracy").asDouble()).isEqualTo(0.5);
		assertThat(summary.path("ci_low").asDouble()).isLessThan(0.5);
		assertThat(summary.path("ci_high").asDouble()).isGreaterThan(0.5);
		assertThat(summary.path("tokens").asLong()).isPositive();
		assertThat(summary.has("energy_wh")).isTrue();

		var broken = Files.createTempFile("broken", ".jsonl");
		Files.writeString(broken, "{\"id\": 1, \"input\": \"q\", \"target\": \"x\", \"grader\": \"nope\"}\n");
		var refused = CliProcess.run(config, "eval", "run", broken.toString(), "--model", FakeModelServer.MODEL,
				"--familiar.embedded.enabled=false");
		assertThat(refused.exit()).isEqualTo(1);
		assertThat(refused.err()).contains("line 1: unknown grader 'nope'");
		assertThat(refused.out()).isEmpty();
	}
}
