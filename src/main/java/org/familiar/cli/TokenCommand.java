package org.familiar.cli;

import java.util.concurrent.Callable;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.InvalidAccountException;
import org.familiar.identity.PersonNotFoundException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code familiar token create NAME... [--name LABEL] [--workload CLASS]}: prints only the tokens, one a line. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Manage personal access tokens.",
		subcommands = TokenCommand.Create.class)
final class TokenCommand implements Runnable {

	@Override
	public void run() {
		new picocli.CommandLine(this).usage(System.out);
	}

	@Command(name = "create", mixinStandardHelpOptions = true,
			description = "Create a personal access token for a person and print it (only it) on standard output.")
	static final class Create implements Callable<Integer> {

		@Parameters(paramLabel = "NAME", arity = "1..*",
				description = "The person's username; with several, one token each, a line each, in their order.")
		java.util.List<String> names;

		@Option(names = "--name", paramLabel = "LABEL", defaultValue = "cli", description = "A name to recognise the token by (default: ${DEFAULT-VALUE}).")
		String label;

		@Option(names = "--workload", paramLabel = "CLASS", defaultValue = "interactive",
				description = "Workload class of requests made with it: interactive, app, batch or research (default: ${DEFAULT-VALUE}).")
		String workload;

		@Override
		public Integer call() {
			var workloadClass = WorkloadClass.parse(workload).orElse(null);
			if (workloadClass == null) {
				System.err.println("familiar: unknown workload class '" + workload + "' (interactive, app, batch, research)");
				return 2;
			}
			try (var context = Cli.start()) {
				var identity = context.getBean(IdentityManagement.class);
				for (var name : names) {
					System.out.println(identity.issueToken(identity.person(name).id(), label, workloadClass).secret());
				}
				return 0;
			}
			catch (PersonNotFoundException | InvalidAccountException ex) {
				System.err.println("familiar: " + ex.getMessage());
				return 1;
			}
		}
	}
}
