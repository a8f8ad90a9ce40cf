package org.familiar.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.familiar.identity.ConnectedApps;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.InvalidAccountException;
import org.familiar.identity.PersonNotFoundException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code familiar app add NAME --redirect-uri URI [--public] [--device]}: registers an app for Sign in with Familiar. */
@Command(name = "app", mixinStandardHelpOptions = true, description = "Register apps for Sign in with Familiar.",
		subcommands = AppCommand.Add.class)
final class AppCommand implements Runnable {

	@Override
	public void run() {
		new picocli.CommandLine(this).usage(System.out);
	}

	@Command(name = "add", mixinStandardHelpOptions = true,
			description = { "Register an app and print its client id and, for a confidential app, its secret (shown only now).",
					"Output: 'client_id: ID' and, unless --public, 'client_secret: SECRET'." })
	static final class Add implements Callable<Integer> {

		@Parameters(paramLabel = "NAME", description = "The app's name, as people see it on the consent page.")
		String name;

		@Option(names = "--redirect-uri", paramLabel = "URI", description = "Where Familiar may send people back to (repeatable; https, or http on localhost).")
		List<String> redirectUris = new ArrayList<>();

		@Option(names = "--public", description = "A browser, mobile or device app that cannot keep a secret: no secret, PKCE required.")
		boolean publicClient;

		@Option(names = "--device", description = "Allow the device authorization grant (RFC 8628), for devices where people type a code.")
		boolean device;

		@Option(names = "--logo-uri", paramLabel = "URL", description = "A logo shown on the consent page.")
		String logoUri;

		@Option(names = "--owner", paramLabel = "USER", description = "The person who owns the app (it shows on their developer page).")
		String owner;

		@Option(names = "--registrar", description = "Instead of an app: a client that registers apps itself at /connect/register "
				+ "(OpenID Connect Dynamic Client Registration), with client_credentials tokens of scope client.create.")
		boolean registrar;

		@Override
		public Integer call() {
			try (var context = Cli.start()) {
				var owner = this.owner == null ? null : context.getBean(IdentityManagement.class).person(this.owner).id();
				var apps = context.getBean(ConnectedApps.class);
				var registered = registrar ? apps.registerRegistrar(owner, name)
						: apps.register(owner, name, redirectUris, !publicClient, device, logoUri);
				System.out.println("client_id: " + registered.app().clientId());
				if (registered.secret() != null) {
					System.out.println("client_secret: " + registered.secret());
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
