package org.familiar.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.InvalidAccountException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code familiar user add NAME... --password-stdin [--admin] [--plan PLAN]}. */
@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage accounts.",
		subcommands = UserCommand.Add.class)
final class UserCommand implements Runnable {

	@Override
	public void run() {
		new picocli.CommandLine(this).usage(System.out);
	}

	@Command(name = "add", mixinStandardHelpOptions = true, description = "Add a person. Reads the password from standard input.")
	static final class Add implements Callable<Integer> {

		@Parameters(paramLabel = "NAME", arity = "1..*",
				description = "The username (letters, digits, '.', '_', '-'); several add several people with the same password.")
		java.util.List<String> names;

		@Option(names = "--password-stdin", required = true,
				description = "Read the password from standard input (the first line).")
		boolean passwordStdin;

		@Option(names = "--admin", description = "Make the person an administrator.")
		boolean admin;

		@Option(names = "--plan", paramLabel = "PLAN", description = "The person's plan.")
		String plan;

		@Override
		public Integer call() throws IOException {
			var input = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
			var password = input.lines().findFirst().orElse("");
			try (var context = Cli.start()) {
				var identity = context.getBean(IdentityManagement.class);
				for (var name : names) {
					var person = identity.addPerson(name, password, admin, plan);
					System.err.println("Added " + person.username() + (person.admin() ? " (administrator)" : "") + ".");
				}
				return 0;
			}
			catch (InvalidAccountException ex) {
				System.err.println("familiar: " + ex.getMessage());
				return 1;
			}
		}
	}
}
