package org.familiar.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line: {@code familiar user …}, {@code familiar token …}. Arguments of the form
 * {@code --some.key=value} anywhere on the line are the server's configuration and go to Spring
 * Boot, so a command works on the same {@code familiar.home} (and database) as the server; the H2
 * database is opened in auto-server mode, so this works while the server runs too.
 */
@Command(name = "familiar", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
		description = { "Familiar, an open personal AI platform.",
				"Without a command, starts the server (java -jar familiar.jar [--key=value…])." },
		subcommands = { UserCommand.class, TokenCommand.class, AppCommand.class, KeyCommand.class, EvalCommand.class })
public final class Cli implements Runnable {

	private static final Set<String> COMMANDS = Set.of("user", "token", "app", "key", "eval", "help", "--help", "-h", "--version", "-V");

	private static String[] springArgs = new String[0];

	private static Class<?> application = Object.class;

	@Override
	public void run() {
		new CommandLine(this).usage(System.out);
	}

	/** Whether the command line names a command (rather than starting the server). */
	public static boolean isCommand(String[] args) {
		return split(args).command().stream().findFirst().filter(COMMANDS::contains).isPresent();
	}

	/**
	 * Runs the command on the line.
	 * @param app the Spring Boot application class to start for commands that need Familiar
	 * @return the process exit code
	 */
	public static int run(String[] args, Class<?> app) {
		application = app;
		var split = split(args);
		springArgs = split.spring().toArray(String[]::new);
		return new CommandLine(new Cli()).setExecutionExceptionHandler((ex, commandLine, parsed) -> {
			commandLine.getErr().println("familiar: " + rootMessage(ex));
			return 1;
		}).execute(split.command().toArray(String[]::new));
	}

	private static String rootMessage(Throwable ex) {
		Throwable root = ex;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getMessage() == null ? root.toString() : root.getMessage();
	}

	/** Starts Familiar without its web server, for one command. */
	static ConfigurableApplicationContext start() {
		return new SpringApplicationBuilder(application).web(WebApplicationType.NONE)
			.logStartupInfo(false)
			.bannerMode(org.springframework.boot.Banner.Mode.OFF)
			.properties("logging.threshold.console=OFF", "spring.main.register-shutdown-hook=false",
					"spring.main.lazy-initialization=true")
			.run(springArgs);
	}

	private record Split(List<String> command, List<String> spring) {
	}

	/** {@code --key.with.dots=value} is configuration; everything else is the command. */
	private static Split split(String[] args) {
		var command = new ArrayList<String>();
		var spring = new ArrayList<String>();
		for (var arg : args) {
			boolean config = arg.startsWith("--") && arg.indexOf('=') > 0 && arg.substring(2, arg.indexOf('=')).contains(".");
			(config ? spring : command).add(arg);
		}
		return new Split(command, spring);
	}

	static final class Version implements CommandLine.IVersionProvider {

		@Override
		public String[] getVersion() {
			var version = Cli.class.getPackage().getImplementationVersion();
			return new String[] { "Familiar " + (version == null ? "(development)" : version) };
		}
	}
}
