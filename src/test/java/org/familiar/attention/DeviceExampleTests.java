package org.familiar.attention;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.ConnectedApps;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The example device in examples/device, built with the Maven wrapper and run as its own process as
 * docs/devices.md says: it shows a code, the person allows it, it reports its context, prints the
 * notification Familiar shows on it and acknowledges it; started again it is still linked (its
 * rotated refresh token), with no new code.
 */
class DeviceExampleTests extends RunningFamiliar {

	@Autowired
	ConnectedApps apps;

	@Autowired
	AttentionManagement attention;

	@Test
	void theExampleDeviceLinksReceivesAcknowledgesAndStaysLinked() throws Exception {
		var root = Path.of("").toAbsolutePath();
		var build = new ProcessBuilder(root.resolve("mvnw").toString(), "-q", "-B", "-f",
				root.resolve("examples/device/pom.xml").toString(), "-DskipTests", "package").inheritIO().start();
		assertThat(build.waitFor()).as("the example builds").isZero();
		var ann = identity.addPerson("ann", "correct horse", false, null);
		// No quiet hours: the example is about delivery, and it must not depend on the time of day CI runs at
		// (at night the default 22:00-07:00 holds a high notification for the digest).
		var defaults = org.familiar.attention.AttentionRules.defaults(java.time.ZoneOffset.UTC);
		attention.saveRules(ann.id(), new org.familiar.attention.AttentionRules(defaults.zone(), null, null, defaults.digestTimes(),
				defaults.meetingsCriticalOnly(), defaults.muted()));
		var token = identity.issueToken(ann.id(), "test", WorkloadClass.INTERACTIVE).secret();
		var clientId = apps.register(ann.id(), "Familiar on the command line", List.of(), false, true, null).app().clientId();
		var state = Files.createTempFile("familiar-device", ".token");
		Files.delete(state);

		var device = start(root, clientId, state, "1");
		var code = device.await("and type ").replaceFirst(".* and type ", "").strip();
		var person = new WebSession(port);
		person.signIn("ann", "correct horse");
		var page = person.get(WebSession.location(person.get("/oauth2/device_verification?user_code=" + code)));
		assertThat(page.body()).contains("Ann&#39;s speaker");
		assertThat(WebSession.location(person.post("/oauth2/device_verification", "client_id", clientId, "state",
				WebSession.field(page.body(), "state"), "user_code", code, "scope", "openid", "scope", "profile", "scope",
				"familiar.device", "_csrf", WebSession.csrf(page.body())))).endsWith("/activated");
		assertThat(device.await("Linked to ")).isEqualTo("Linked to ann.");
		assertThat(device.await("Reported ")).contains("activity=free");
		device.await("Listening.");

		var sent = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/notifications"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"Oven timer\",\"body\":\"The bread is done\",\"urgency\":\"high\"}"))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(sent.statusCode()).isEqualTo(201);
		assertThat(device.await("[high]")).isEqualTo("[high] Oven timer — The bread is done (now on Ann's speaker: "
				+ "no screen is on, so it is read aloud)");
		assertThat(device.await("Acknowledged")).isEqualTo("Acknowledged: opened.");
		assertThat(device.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
		assertThat(device.process.exitValue()).isZero();
		var id = new ObjectMapper().readTree(sent.body()).get("id").asText();
		var after = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/notifications/" + id))
			.header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
		assertThat(new ObjectMapper().readTree(after.body()).get("action").asText()).isEqualTo("opened");

		var again = start(root, clientId, state, "1");
		assertThat(again.await("Still linked.")).isEqualTo("Still linked.");
		assertThat(again.await("Linked to ")).isEqualTo("Linked to ann.");
		again.process.destroy();
	}

	private Running start(Path root, String clientId, Path state, String count) throws Exception {
		var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
				root.resolve("examples/device/target/familiar-device-1.0.jar").toString(), "--familiar=http://localhost:" + port,
				"--client-id=" + clientId, "--name=Ann's speaker", "--kind=speaker", "--context=activity=free,screen=none",
				"--count=" + count, "--state=" + state));
		var process = new ProcessBuilder(command).redirectErrorStream(true).start();
		var running = new Running(process, new LinkedBlockingQueue<>());
		Thread.ofVirtual().start(() -> {
			try (var reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
				for (String line; (line = reader.readLine()) != null;) {
					System.out.println("device: " + line);
					running.lines().add(line);
				}
			}
			catch (java.io.IOException ended) {
				// The process ended.
			}
		});
		return running;
	}

	record Running(Process process, BlockingQueue<String> lines) {

		/** The next line that contains {@code text}, within 30 seconds. */
		String await(String text) throws InterruptedException {
			while (true) {
				var line = lines.poll(30, TimeUnit.SECONDS);
				assertThat(line).as("a line with '" + text + "' from the device").isNotNull();
				if (line.contains(text)) {
					return line;
				}
			}
		}
	}
}
