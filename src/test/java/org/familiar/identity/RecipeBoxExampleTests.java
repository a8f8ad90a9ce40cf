package org.familiar.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.familiar.compute.WorkloadClass;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemorySource;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The integration guide, followed: the sample app in examples/recipe-box is built with the Maven
 * wrapper and run as its own process, registered as docs/sign-in-with-familiar.md says, and a
 * person signs in to it with Familiar, approves it, gets a recipe from their own AI with their
 * memory, sees its usage and disconnects it.
 */
class RecipeBoxExampleTests extends RunningFamiliar {

	static Process sample;

	/** The sample asks for the model "default", as its configuration says. */
	@DynamicPropertySource
	static void defaultModel(DynamicPropertyRegistry registry) {
		registry.add("familiar.aliases.default", () -> FakeModelServer.MODEL);
	}

	@AfterAll
	static void stopSample() {
		if (sample != null) {
			sample.destroyForcibly();
		}
	}

	@Autowired
	ConnectedApps apps;

	@Autowired
	MemoryManagement memory;

	@Test
	void aDeveloperFollowsTheGuideAndAPersonUsesTheirAiThroughTheApp() throws Exception {
		var ann = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		memory.remember(new Caller(ann.id(), ann.username(), null, WorkloadClass.INTERACTIVE), "Prefers vegetarian recipes.",
				MemoryKind.PREFERENCE, MemorySource.MANUAL, null, null);
		int samplePort;
		try (var socket = new ServerSocket(0)) {
			samplePort = socket.getLocalPort();
		}
		var sampleUrl = "http://127.0.0.1:" + samplePort;
		var registered = apps.register(ann.id(), "Recipe Box", List.of(sampleUrl + "/login/oauth2/code/familiar"), true, false, null);
		sample = start(samplePort, registered.app().clientId(), registered.secret());

		var browser = new WebSession(port);
		var url = sampleUrl + "/";
		var response = browser.get(url);
		// The sample sends the person to Familiar, which asks them to sign in…
		while (!url.endsWith("/login")) {
			url = WebSession.location(response);
			response = browser.get(url);
		}
		url = browser.signIn(ann.username(), "correct horse");
		// …and to approve the app.
		response = browser.get(url);
		var consent = browser.get(WebSession.location(response));
		assertThat(consent.body()).contains("Recipe Box wants to use your Familiar");
		var approved = browser.post("/oauth2/authorize", "client_id", WebSession.field(consent.body(), "client_id"), "state",
				WebSession.field(consent.body(), "state"), "scope", "profile", "scope", "familiar.assistant", "scope",
				"familiar.memory.read", "familiar_cap", "100000", "_csrf", WebSession.csrf(consent.body()));
		// Back at the sample, which exchanges the code and shows who signed in.
		url = WebSession.location(approved);
		response = browser.get(url);
		while (response.statusCode() == 302) {
			url = WebSession.location(response);
			response = browser.get(url.startsWith("/") ? sampleUrl + url : url);
		}
		assertThat(response.body()).contains("Signed in with Familiar as <b>" + ann.username() + "</b>");

		var recipe = browser.get(sampleUrl + "/recipe?dish=lasagne");
		assertThat(recipe.statusCode()).isEqualTo(200);
		assertThat(recipe.body()).contains("Hello! You said: A recipe for: lasagne").contains("used 1 of your memories");
		// Familiar's memory is merged into the app's own system message: first, then the app's text, unchanged.
		var system = backend.systemPromptFor("A recipe for: lasagne");
		assertThat(system).contains("Prefers vegetarian recipes.").contains("\n\nYou are Recipe Box.");
		assertThat(system.indexOf("Prefers vegetarian")).isLessThan(system.indexOf("You are Recipe Box."));
		assertThat(backend.requests.getLast().path("messages").get(1).path("role").asText()).isEqualTo("user");

		var page = browser.get("/settings/apps");
		assertThat(page.body()).contains("Recipe Box");
		var revoked = browser.post("/settings/apps/" + registered.app().clientId() + "/revoke", "_csrf",
				WebSession.csrf(page.body()));
		assertThat(WebSession.location(revoked)).endsWith("/settings/apps");
		assertThat(browser.get(sampleUrl + "/recipe?dish=soup").statusCode()).as("the app's token no longer works")
			.isNotEqualTo(200);
	}

	/** Builds the sample with the Maven wrapper and runs its jar. */
	private Process start(int samplePort, String clientId, String secret) throws Exception {
		var root = Path.of("").toAbsolutePath();
		var pom = root.resolve("examples/recipe-box/pom.xml");
		var build = new ProcessBuilder(root.resolve("mvnw").toString(), "-q", "-B", "-f", pom.toString(), "-DskipTests",
				"package")
			.inheritIO()
			.start();
		assertThat(build.waitFor()).as("the sample builds").isZero();
		var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
				root.resolve("examples/recipe-box/target/recipe-box-1.0.jar").toString(), "--server.port=" + samplePort,
				"--spring.security.oauth2.client.registration.familiar.redirect-uri=http://127.0.0.1:" + samplePort
						+ "/login/oauth2/code/{registrationId}"));
		var builder = new ProcessBuilder(command).redirectErrorStream(true)
			.redirectOutput(new File("target/recipe-box.log"));
		builder.environment().put("RECIPE_BOX_CLIENT_ID", clientId);
		builder.environment().put("RECIPE_BOX_CLIENT_SECRET", secret);
		builder.environment().put("FAMILIAR_URL", "http://localhost:" + port);
		var process = builder.start();
		var deadline = Instant.now().plus(Duration.ofMinutes(2));
		while (Instant.now().isBefore(deadline)) {
			try (var probe = new java.net.Socket("127.0.0.1", samplePort)) {
				return process;
			}
			catch (IOException notYet) {
				assertThat(process.isAlive()).as("the sample is running (see target/recipe-box.log)").isTrue();
				Thread.onSpinWait();
				Thread.sleep(200);
			}
		}
		throw new AssertionError("The sample did not start within two minutes (see target/recipe-box.log)");
	}
}
