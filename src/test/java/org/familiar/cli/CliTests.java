package org.familiar.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.familiar.FamiliarApplication;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.IdentityManagement;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The CLI on the same data as a running Familiar (this test's context keeps the database open,
 * as a server would): what it prints, where, and its exit codes.
 */
@SpringBootTest
class CliTests {

	static Map<String, String> config;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) {
		config = new java.util.LinkedHashMap<>(TestHome.isolate(registry));
		// The CLI runs take the same configuration as the server.
		config.put("familiar.plans.pro.token-budget", "5000000");
		registry.add("familiar.plans.pro.token-budget", () -> "5000000");
	}

	@Autowired
	IdentityManagement identity;

	@Autowired
	org.familiar.identity.ConnectedApps apps;

	record Run(int exit, String out, String err) {
	}

	private static Run cli(String stdin, String... args) {
		var line = new ArrayList<>(List.of(args));
		config.forEach((key, value) -> line.add("--" + key + "=" + value));
		InputStream in = System.in;
		PrintStream out = System.out;
		PrintStream err = System.err;
		var stdout = new ByteArrayOutputStream();
		var stderr = new ByteArrayOutputStream();
		try {
			System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
			System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
			System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
			int exit = Cli.run(line.toArray(String[]::new), FamiliarApplication.class);
			return new Run(exit, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
		}
		finally {
			System.setIn(in);
			System.setOut(out);
			System.setErr(err);
		}
	}

	/** Runs the CLI as its own JVM, as a person would, to see exactly what reaches stdout. */
	private static Run process(String... args) throws Exception {
		var run = org.familiar.testing.CliProcess.run(config, args);
		return new Run(run.exit(), run.out(), run.err());
	}

	@Test
	void addsPeopleAndPrintsOnlyTheTokenOnStandardOutput() throws Exception {
		var added = cli("difference engine\n", "user", "add", "Charles", "--password-stdin", "--admin", "--plan", "pro");
		assertThat(added.exit()).isZero();
		assertThat(added.err()).contains("Added charles (administrator).");
		var charles = identity.person("charles");
		assertThat(charles.admin()).isTrue();
		assertThat(charles.plan()).isEqualTo("pro");
		var unknown = cli("difference engine\n", "user", "add", "grace", "--password-stdin", "--plan", "gold");
		assertThat(unknown.exit()).as("a plan that is not configured").isNotZero();
		assertThat(unknown.err()).contains("There is no plan 'gold'");

		var created = process("token", "create", "charles", "--name", "script", "--workload", "research");
		assertThat(created.exit()).isZero();
		assertThat(created.out()).matches("fam_[A-Za-z0-9_-]{43}\\n");
		var caller = identity.authenticate(created.out().strip()).orElseThrow();
		assertThat(caller.workload()).isEqualTo(WorkloadClass.RESEARCH);
		assertThat(identity.tokens(charles.id())).extracting(t -> t.label()).contains("script");
	}

	@Test
	void failsClearlyWithoutPrintingAToken() {
		cli("long enough\n", "user", "add", "lovelace", "--password-stdin");
		var duplicate = cli("long enough\n", "user", "add", "lovelace", "--password-stdin");
		assertThat(duplicate.exit()).isEqualTo(1);
		assertThat(duplicate.err()).contains("already an account named 'lovelace'");

		var nobody = cli("", "token", "create", "nobody");
		assertThat(nobody.exit()).isEqualTo(1);
		assertThat(nobody.out()).doesNotContain("fam_");
		assertThat(nobody.err()).contains("No person named 'nobody'");

		var badClass = cli("", "token", "create", "lovelace", "--workload", "gpu-hog");
		assertThat(badClass.exit()).isEqualTo(2);
		assertThat(badClass.err()).contains("unknown workload class 'gpu-hog'");
	}

	@Test
	void registersAppsAndRotatesSigningKeys() throws Exception {
		var confidential = process("app", "add", "Recipe Box", "--redirect-uri", "https://recipes.example/callback");
		assertThat(confidential.exit()).isZero();
		assertThat(confidential.out()).matches("client_id: fam-app-[0-9a-f]{16}\nclient_secret: fam_secret_[A-Za-z0-9_-]{43}\n");
		var clientId = confidential.out().lines().findFirst().orElseThrow().substring("client_id: ".length());
		assertThat(apps.app(clientId)).hasValueSatisfying(app -> {
			assertThat(app.confidential()).isTrue();
			assertThat(app.redirectUris()).containsExactly("https://recipes.example/callback");
		});
		var device = cli("", "app", "add", "Kitchen Speaker", "--public", "--device");
		assertThat(device.exit()).isZero();
		assertThat(printed(device)).hasSize(1).allMatch(line -> line.matches("client_id: fam-app-[0-9a-f]{16}"));
		var insecure = cli("", "app", "add", "Leaky", "--redirect-uri", "http://recipes.example/callback");
		assertThat(insecure.exit()).isEqualTo(1);
		assertThat(insecure.err()).contains("must use https");

		var before = printed(cli("", "key", "list"));
		var rotated = printed(cli("", "key", "rotate")).getFirst();
		var after = printed(cli("", "key", "list"));
		assertThat(after.getFirst()).isEqualTo(rotated);
		assertThat(after).containsAll(before);
		assertThat(cli("", "key", "retire", rotated).exit()).as("the signing key cannot be retired").isEqualTo(1);
		assertThat(cli("", "key", "retire", before.getFirst()).exit()).isZero();
		assertThat(printed(cli("", "key", "list"))).containsExactly(rotated);
	}

	/** What a command printed, without the log lines an in-process run mixes into standard output. */
	private static List<String> printed(Run run) {
		return run.out().lines().filter(line -> !line.matches("^\\d{4}-\\d{2}-\\d{2}T.*")).toList();
	}

	@Test
	void everyCommandHasHelp() {
		var top = cli("", "--help");
		assertThat(top.exit()).isZero();
		assertThat(top.out()).contains("user", "token", "starts the server");
		assertThat(cli("", "user", "add", "--help").out()).contains("--password-stdin", "--admin", "--plan");
		assertThat(cli("", "token", "create", "--help").out()).contains("--workload", "--name");
		assertThat(cli("", "app", "add", "--help").out()).contains("--redirect-uri", "--public", "--device");
		assertThat(cli("", "key", "--help").out()).contains("rotate", "retire");
		assertThat(cli("", "eval", "run", "--help").out()).contains("--model", "--concurrency", "ci_low");
		assertThat(Cli.isCommand(new String[] { "--server.port=0" })).isFalse();
		assertThat(Cli.isCommand(new String[] { "--familiar.home=/x", "token", "create", "a" })).isTrue();
	}
}
