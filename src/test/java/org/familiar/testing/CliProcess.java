package org.familiar.testing;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.familiar.FamiliarApplication;

/** Runs Familiar's command line as its own JVM, as a person would, to see exactly what reaches stdout. */
public final class CliProcess {

	public record Run(int exit, String out, String err) {
	}

	private CliProcess() {
	}

	/** {@code config} (home, database) is appended as {@code --key=value} arguments. */
	public static Run run(Map<String, String> config, String... args) throws Exception {
		var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
				FamiliarApplication.class.getName()));
		command.addAll(List.of(args));
		config.forEach((key, value) -> command.add("--" + key + "=" + value));
		var process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
		var err = new CompletableFuture<String>();
		Thread.ofVirtual().start(() -> {
			try {
				err.complete(new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
			}
			catch (java.io.IOException ex) {
				err.completeExceptionally(ex);
			}
		});
		var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (!process.waitFor(3, TimeUnit.MINUTES)) {
			process.destroyForcibly();
			throw new AssertionError("The command did not finish within three minutes");
		}
		return new Run(process.exitValue(), out, err.get());
	}
}
