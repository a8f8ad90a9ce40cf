package org.familiar.cli;

import java.util.concurrent.Callable;
import org.familiar.identity.SigningKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code familiar key list|rotate|retire KID}: the keys that sign ID tokens. */
@Command(name = "key", mixinStandardHelpOptions = true,
		description = { "The keys that sign Sign in with Familiar's ID tokens.",
				"Rotate: 'key rotate' (the new key signs from now on, the old one stays published), then after 30 minutes",
				"(ID tokens' lifetime) 'key retire OLD_KID'. Servers pick up changes within a minute." },
		subcommands = { KeyCommand.List.class, KeyCommand.Rotate.class, KeyCommand.Retire.class })
final class KeyCommand implements Runnable {

	@Override
	public void run() {
		new picocli.CommandLine(this).usage(System.out);
	}

	@Command(name = "list", mixinStandardHelpOptions = true, description = "Print the published key ids, the signing one first.")
	static final class List implements Callable<Integer> {

		@Override
		public Integer call() {
			try (var context = Cli.start()) {
				context.getBean(SigningKeys.class).keys().forEach(key -> System.out.println(key.getKeyID()));
				return 0;
			}
		}
	}

	@Command(name = "rotate", mixinStandardHelpOptions = true, description = "Add a key that signs from now on; print its id.")
	static final class Rotate implements Callable<Integer> {

		@Override
		public Integer call() {
			try (var context = Cli.start()) {
				System.out.println(context.getBean(SigningKeys.class).rotate());
				return 0;
			}
		}
	}

	@Command(name = "retire", mixinStandardHelpOptions = true, description = "Stop publishing an old key.")
	static final class Retire implements Callable<Integer> {

		@Parameters(paramLabel = "KID", description = "The key id (from 'key list').")
		String kid;

		@Override
		public Integer call() {
			try (var context = Cli.start()) {
				if (!context.getBean(SigningKeys.class).retire(kid)) {
					System.err.println("familiar: no published key " + kid);
					return 1;
				}
				return 0;
			}
			catch (IllegalArgumentException ex) {
				System.err.println("familiar: " + ex.getMessage());
				return 1;
			}
		}
	}
}
