package org.familiar.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.familiar.compute.ModelNotFoundException;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.PersonNotFoundException;
import org.familiar.research.InvalidSuiteException;
import org.familiar.research.ResearchManagement;
import org.familiar.research.RunProgress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code familiar eval run SUITE.jsonl --model MODEL}: runs an evaluation suite as research work,
 * progress on standard error, the summary JSON last on standard output.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Run evaluation suites against models.",
		subcommands = { EvalCommand.Run.class, EvalCommand.Resume.class, EvalCommand.Overlap.class })
final class EvalCommand implements Runnable {

	@Override
	public void run() {
		new picocli.CommandLine(this).usage(System.out);
	}

	@Command(name = "run", mixinStandardHelpOptions = true,
			description = { "Run a suite (JSONL) against a model as research work.",
					"Progress goes to standard error; the summary JSON {\"suite\", \"model\", \"items\", \"correct\", \"accuracy\",",
					"\"ci_low\", \"ci_high\", \"tokens\", \"energy_wh\", …} is the last line on standard output.",
					"If it is interrupted, 'eval resume RUN_ID' (printed at the start) goes on without grading an item twice." })
	static final class Run implements Callable<Integer> {

		@Parameters(paramLabel = "SUITE.jsonl", description = "The suite: one {\"id\", \"input\", \"target\", \"grader\"} a line.")
		Path suite;

		@Option(names = "--model", required = true, paramLabel = "MODEL", description = "The model to evaluate (an id from /v1/models).")
		String model;

		@Option(names = "--grader-model", paramLabel = "MODEL", description = "The model that grades 'model' items (default: --model).")
		String graderModel;

		@Option(names = "--concurrency", paramLabel = "N", defaultValue = "4", description = "Items in flight at once (default: ${DEFAULT-VALUE}).")
		int concurrency;

		@Option(names = "--as", paramLabel = "USER", description = "Bill the run to this person's plan (default: the operator, billed to no one).")
		String user;

		@Override
		public Integer call() throws Exception {
			try (var context = Cli.start(); var reader = Files.newBufferedReader(suite)) {
				var research = context.getBean(ResearchManagement.class);
				var identity = context.getBean(IdentityManagement.class);
				var owner = user == null ? null : identity.person(user);
				var caller = owner == null ? null
						: new org.familiar.identity.Caller(owner.id(), owner.username(), null,
								org.familiar.compute.WorkloadClass.RESEARCH);
				var suiteId = research.upload(owner == null ? null : owner.id(), suite.getFileName().toString(), reader, false);
				var run = research.start(caller, suiteId, model, graderModel, concurrency);
				System.err.println("eval: run " + run + " (resume it with: eval resume " + run + ")");
				return follow(research, run, context.getBean(ObjectMapper.class));
			}
			catch (InvalidSuiteException ex) {
				System.err.println("familiar: " + suite + ": " + ex.getMessage());
				return 1;
			}
			catch (IOException ex) {
				System.err.println("familiar: cannot read " + suite + ": " + ex.getMessage());
				return 1;
			}
			catch (ModelNotFoundException | PersonNotFoundException ex) {
				System.err.println("familiar: " + ex.getMessage());
				return 1;
			}
		}
	}

	@Command(name = "resume", mixinStandardHelpOptions = true, description = "Go on with an interrupted run; items already graded are kept.")
	static final class Resume implements Callable<Integer> {

		@Parameters(paramLabel = "RUN_ID", description = "The run's id (printed when it started).")
		UUID run;

		@Override
		public Integer call() throws Exception {
			try (var context = Cli.start()) {
				var research = context.getBean(ResearchManagement.class);
				research.resume(run);
				return follow(research, run, context.getBean(ObjectMapper.class));
			}
			catch (IllegalArgumentException ex) {
				System.err.println("familiar: " + ex.getMessage());
				return 1;
			}
		}
	}

	@Command(name = "overlap", mixinStandardHelpOptions = true,
			description = { "Check a suite against a text corpus for contamination: prints {\"n\", \"items\", \"flagged\": [ids], \"fraction\"}",
					"for the items sharing a run of N words (default 13) with the corpus." })
	static final class Overlap implements Callable<Integer> {

		@Parameters(index = "0", paramLabel = "SUITE.jsonl", description = "The suite.")
		Path suite;

		@Parameters(index = "1", paramLabel = "CORPUS.txt", description = "The text to look in (read as a stream; any size).")
		Path corpus;

		@Option(names = "--n", paramLabel = "N", defaultValue = "13", description = "Words in a run (default: ${DEFAULT-VALUE}).")
		int n;

		@Override
		public Integer call() throws Exception {
			try (var suiteReader = Files.newBufferedReader(suite); var corpusReader = Files.newBufferedReader(corpus)) {
				var parsed = org.familiar.research.SuiteParser.parse(suite.getFileName().toString(), suiteReader);
				var report = org.familiar.research.NgramOverlap.check(parsed, corpusReader, Math.max(1, n));
				System.out.println(new ObjectMapper().writeValueAsString(report));
				return 0;
			}
			catch (InvalidSuiteException ex) {
				System.err.println("familiar: " + suite + ": " + ex.getMessage());
				return 1;
			}
			catch (IOException ex) {
				System.err.println("familiar: " + ex.getMessage());
				return 1;
			}
		}
	}

	/** Prints progress to standard error each second until the run ends, then the summary. */
	static int follow(ResearchManagement research, UUID run, ObjectMapper json) throws Exception {
		RunProgress progress;
		do {
			Thread.sleep(1000);
			progress = research.progress(run);
			var eta = progress.eta() == null ? "" : String.format(", about %d:%02d left", progress.eta().toMinutes(),
					progress.eta().toSecondsPart());
			System.err.printf("eval: %d/%d graded, %d correct%s%n", progress.graded(), progress.items(), progress.correct(), eta);
		}
		while (!progress.finished());
		System.out.println(json.writeValueAsString(research.summary(run)));
		return 0;
	}
}
