package org.familiar.research;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.Person;
import org.familiar.identity.Scopes;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code /api/research} over real HTTP with bearer tokens: a researcher's whole flow against two
 * models, bad requests, cancelling, and held-out privacy through every endpoint and page.
 */
class ResearchApiTests extends RunningFamiliar {

	/** A second, trusted model server whose model answers everything rightly. */
	static FakeModelServer vault;

	@DynamicPropertySource
	static void trustedBackend(DynamicPropertyRegistry registry) throws IOException {
		vault = new FakeModelServer(0, 0, "vault-model");
		registry.add("familiar.backends.vault.url", vault::baseUrl);
		registry.add("familiar.backends.vault.trusted", () -> "true");
	}

	@AfterAll
	static void closeVault() {
		vault.close();
	}

	/** A question only a held-out item asks: it must never show up for anyone but the owner. */
	static final String SECRET_QUESTION = "What is the airspeed of an unladen swallow";

	static final String HELD_OUT = """
			{"id": "swallow", "input": "%s?", "target": "24", "grader": "number"}
			{"id": "add-2", "input": "What is 2 plus 2?", "target": "4", "grader": "number"}
			""".formatted(SECRET_QUESTION);

	@Autowired
	ResearchManagement research;

	@Autowired
	JdbcClient jdbc;

	@Autowired
	ObjectMapper springJson;

	final HttpClient http = HttpClient.newHttpClient();

	final ObjectMapper json = new ObjectMapper();

	Person ann;

	String annToken;

	@BeforeEach
	void researcher() {
		ann = person();
		annToken = identity.issueToken(ann.id(), "notebook", WorkloadClass.INTERACTIVE).secret();
		var pattern = java.util.regex.Pattern.compile("What is (\\d+) plus");
		backend.script = request -> {
			var messages = request.path("messages");
			var matcher = pattern.matcher(messages.get(messages.size() - 1).path("content").asText());
			if (!matcher.find()) {
				return null;
			}
			int n = Integer.parseInt(matcher.group(1));
			return n % 2 == 0 ? "The answer is " + (2 * n) + "." : "The answer is 0.";
		};
		vault.script = request -> {
			var last = request.path("messages").get(request.path("messages").size() - 1).path("content").asText();
			var matcher = pattern.matcher(last);
			return matcher.find() ? "It is " + 2 * Integer.parseInt(matcher.group(1)) + "." : last.contains("swallow") ? "24" : null;
		};
	}

	@AfterEach
	void unscript() {
		backend.script = request -> null;
		vault.script = request -> null;
	}

	@Test
	void aResearcherUploadsASuiteRunsItOnTwoModelsAndComparesThem() throws Exception {
		var uploaded = send("POST", "/api/research/suites?name=addition", annToken, EvaluationRunTests.ADDITION, "application/x-ndjson");
		assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
		var suite = json.readTree(uploaded.body());
		assertThat(suite.path("items").asInt()).isEqualTo(20);
		assertThat(suite.path("held_out").asBoolean()).isFalse();
		assertThat(suite.path("canary").asText()).startsWith("FAMILIAR-CANARY-");
		var suiteId = suite.path("id").asText();
		assertThat(uploaded.headers().firstValue("Location")).contains("/api/research/suites/" + suiteId);
		assertThat(read("/api/research/suites", annToken).path("data")).extracting(s -> s.path("id").asText()).containsExactly(suiteId);
		var items = read("/api/research/suites/" + suiteId + "/items", annToken).path("data");
		assertThat(items).hasSize(20);
		assertThat(items.get(6).path("input").get(0).path("content").asText()).isEqualTo("What is 7 plus 7?");
		assertThat(items.get(6).path("grader").asText()).isEqualTo("number");

		var first = start(suiteId, FakeModelServer.MODEL, annToken);
		var second = start(suiteId, "vault-model", annToken);

		// The event stream reports progress until the run ends, then its summary.
		var events = http.send(request("/api/research/runs/" + first + "/events", annToken).build(),
				HttpResponse.BodyHandlers.ofLines());
		assertThat(events.statusCode()).isEqualTo(200);
		var names = new ArrayList<String>();
		JsonNode summary = null;
		String event = null;
		for (var line : (Iterable<String>) events.body()::iterator) {
			if (line.startsWith("event:")) {
				event = line.substring(6).strip();
				names.add(event);
			}
			else if (line.startsWith("data:") && "summary".equals(event)) {
				summary = json.readTree(line.substring(5));
			}
		}
		assertThat(names).contains("progress").last().isEqualTo("summary");
		assertThat(summary).isNotNull();
		assertThat(summary.path("accuracy").asDouble()).isEqualTo(0.5);
		assertThat(summary.path("ci_low").asDouble()).isLessThan(0.5);
		assertThat(summary.path("ci_high").asDouble()).isGreaterThan(0.5);

		await().atMost(Duration.ofSeconds(30))
			.until(() -> read("/api/research/runs/" + second, annToken).path("progress").path("status").asText().equals("done"));
		var run = read("/api/research/runs/" + second, annToken);
		assertThat(run.path("summary").path("accuracy").asDouble()).isEqualTo(1.0);
		// Familiar tells the person, through the attention policy, when a run has finished.
		await().atMost(Duration.ofSeconds(10)).until(() -> read("/api/notifications", annToken).findValuesAsText("dedupe_key")
			.contains("run:" + second));
		var told = java.util.stream.StreamSupport.stream(read("/api/notifications", annToken).spliterator(), false)
			.filter(n -> ("run:" + second).equals(n.path("dedupe_key").asText())).findFirst().orElseThrow();
		assertThat(told.path("sender").asText()).isEqualTo("familiar");
		assertThat(told.path("title").asText()).startsWith("Evaluation finished: ");
		assertThat(told.path("body").asText()).startsWith("20 of 20 correct with vault-model");
		assertThat(run.path("progress").path("graded").asInt()).isEqualTo(20);
		assertThat(run.path("model").asText()).isEqualTo("vault-model");
		var results = read("/api/research/runs/" + first + "/results", annToken).path("data");
		assertThat(results).hasSize(20);
		assertThat(results).filteredOn(r -> r.path("item").asText().equals("add-7"))
			.singleElement()
			.satisfies(r -> {
				assertThat(r.path("correct").asBoolean()).isFalse();
				assertThat(r.path("reply").asText()).isEqualTo("The answer is 0.");
				assertThat(r.path("prompt_tokens").asInt()).isPositive();
			});

		var comparison = read("/api/research/compare?run=" + first + "&run=" + second, annToken);
		assertThat(comparison.path("runs")).extracting(r -> r.path("model").asText()).containsExactly(FakeModelServer.MODEL, "vault-model");
		assertThat(comparison.path("mean_latency_ms")).hasSize(2);
		var differing = comparison.path("differing");
		assertThat(differing).hasSize(10).allSatisfy(diff -> {
			assertThat(Integer.parseInt(diff.path("item").asText().substring(4)) % 2).isOne();
			assertThat(diff.path("correct").toString()).isEqualTo("[false,true]");
		});
		assertThat(read("/api/research/runs", annToken).path("data")).hasSize(2);
	}

	@Test
	void badRequestsGetClearProblemsAndCreateNothing() throws Exception {
		var broken = send("POST", "/api/research/suites?name=broken", annToken,
				"{\"id\": \"a\", \"input\": \"q\", \"target\": \"x\", \"grader\": \"exact\"}\n{\"id\": \"b\", \"input\": \"q\"\n",
				"application/x-ndjson");
		assertThat(broken.statusCode()).isEqualTo(400);
		assertThat(broken.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).contains("problem+json"));
		assertThat(json.readTree(broken.body()).path("problems").get(0).asText()).startsWith("line 2:");

		assertThat(send("POST", "/api/research/suites", annToken, "{}", "application/x-ndjson").statusCode()).isEqualTo(400);
		assertThat(send("POST", "/api/research/suites?name=%20", annToken, EvaluationRunTests.ADDITION, "application/x-ndjson")
			.statusCode()).isEqualTo(400);
		assertThat(read("/api/research/suites", annToken).path("data")).isEmpty();

		var suite = json.readTree(send("POST", "/api/research/suites?name=addition", annToken, EvaluationRunTests.ADDITION,
				"text/plain").body()).path("id").asText();
		var unknownModel = send("POST", "/api/research/runs", annToken, "{\"suite\": \"" + suite + "\", \"model\": \"no-such-model\"}",
				"application/json");
		assertThat(unknownModel.statusCode()).isEqualTo(404);
		assertThat(json.readTree(unknownModel.body()).path("detail").asText()).contains("no-such-model");
		assertThat(send("POST", "/api/research/runs", annToken, "{\"suite\": ", "application/json").statusCode()).isEqualTo(400);
		var noSuite = send("POST", "/api/research/runs", annToken, "{\"model\": \"fake-model\"}", "application/json");
		assertThat(noSuite.statusCode()).isEqualTo(400);
		assertThat(noSuite.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).contains("problem+json"));
		assertThat(json.readTree(noSuite.body()).path("detail").asText()).isEqualTo("'suite' and 'model' are required.");
		assertThat(send("POST", "/api/research/runs", annToken, "{\"suite\": \"not-a-uuid\", \"model\": \"fake-model\"}",
				"application/json").statusCode()).isEqualTo(400);
		assertThat(read("/api/research/runs", annToken).path("data")).isEmpty();
		var badId = send("GET", "/api/research/runs/not-a-uuid", annToken, null, null);
		assertThat(badId.statusCode()).isEqualTo(400);
		assertThat(json.readTree(badId.body()).path("detail").asText()).isEqualTo("'id' is not a valid id.");
		assertThat(send("GET", "/api/research/compare", annToken, null, null).statusCode()).isEqualTo(400);
		assertThat(http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/research/suites")).build(),
				HttpResponse.BodyHandlers.discarding()).statusCode()).as("no token").isEqualTo(401);
	}

	@Test
	void aCancelledRunStopsAndKeepsWhatItGraded() throws Exception {
		var script = backend.script;
		backend.script = request -> {
			try {
				Thread.sleep(150);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return script.apply(request);
		};
		var suite = json.readTree(send("POST", "/api/research/suites?name=slow", annToken, EvaluationRunTests.ADDITION,
				"application/x-ndjson").body()).path("id").asText();
		var run = start(suite, FakeModelServer.MODEL, annToken);
		await().atMost(Duration.ofSeconds(20))
			.until(() -> read("/api/research/runs/" + run, annToken).path("progress").path("graded").asInt() >= 2);
		var cancelled = json.readTree(send("POST", "/api/research/runs/" + run + "/cancel", annToken, null, null).body());
		assertThat(cancelled.path("progress").path("status").asText()).isEqualTo("cancelled");
		int asked = backend.completions.get();
		Thread.sleep(600);
		var after = read("/api/research/runs/" + run, annToken);
		assertThat(after.path("progress").path("status").asText()).isEqualTo("cancelled");
		assertThat(after.path("progress").path("graded").asInt()).isBetween(2, 19);
		assertThat(after.path("progress").path("failed").asInt()).as("dropped, not failed").isZero();
		assertThat(backend.completions.get()).as("nothing more is asked").isEqualTo(asked);
		// A cancelled run is not resumed when the server starts again.
		assertThat(research.resumeUnfinished()).doesNotContain(UUID.fromString(run));
	}

	@Test
	void heldOutItemsAreShownToTheirOwnerAloneThroughEveryApiAndPage() throws Exception {
		var uploaded = json.readTree(send("POST", "/api/research/suites?name=vault%20suite&held_out=true", annToken, HELD_OUT,
				"application/x-ndjson").body());
		var suite = uploaded.path("id").asText();
		var canary = uploaded.path("canary").asText();
		assertThat(uploaded.path("held_out").asBoolean()).isTrue();
		var run = start(suite, "vault-model", annToken);
		await().atMost(Duration.ofSeconds(20))
			.until(() -> read("/api/research/runs/" + run, annToken).path("progress").path("status").asText().equals("done"));
		// The owner, with their own token, sees the items and the replies.
		assertThat(read("/api/research/suites/" + suite + "/items", annToken).toString()).contains(SECRET_QUESTION);
		assertThat(read("/api/research/runs/" + run + "/results", annToken).path("data")).hasSize(2);

		// Anyone else: every endpoint says there is no such suite or run, and shows nothing of it.
		var bob = person();
		var bobToken = identity.issueToken(bob.id(), "snoop", WorkloadClass.INTERACTIVE).secret();
		var bobSuite = json.readTree(send("POST", "/api/research/suites?name=mine", bobToken, EvaluationRunTests.ADDITION,
				"application/x-ndjson").body()).path("id").asText();
		var bobRun = start(bobSuite, "vault-model", bobToken);
		var probes = List.of(
				send("GET", "/api/research/suites/" + suite, bobToken, null, null),
				send("GET", "/api/research/suites/" + suite + "/items", bobToken, null, null),
				send("POST", "/api/research/suites/" + suite + "/canary", bobToken, "{\"model\": \"vault-model\"}", "application/json"),
				send("POST", "/api/research/runs", bobToken, "{\"suite\": \"" + suite + "\", \"model\": \"vault-model\"}", "application/json"),
				send("GET", "/api/research/runs/" + run, bobToken, null, null),
				send("GET", "/api/research/runs/" + run + "/results", bobToken, null, null),
				send("GET", "/api/research/runs/" + run + "/events", bobToken, null, null),
				send("POST", "/api/research/runs/" + run + "/cancel", bobToken, null, null),
				send("GET", "/api/research/compare?run=" + bobRun + "&run=" + run, bobToken, null, null),
				send("DELETE", "/api/research/suites/" + suite, bobToken, null, null));
		assertThat(probes).allSatisfy(response -> {
			assertThat(response.statusCode()).as(response.uri() + " " + response.body()).isEqualTo(404);
			assertThat(response.body()).doesNotContain(SECRET_QUESTION).doesNotContain(canary).doesNotContain("vault suite");
		});
		var lists = List.of(send("GET", "/api/research/suites", bobToken, null, null), send("GET", "/api/research/runs", bobToken, null, null));
		assertThat(lists).allSatisfy(response -> {
			assertThat(response.statusCode()).isEqualTo(200);
			assertThat(response.body()).doesNotContain(suite).doesNotContain(run).doesNotContain(canary);
		});
		// Nor in the web app: the research page, the runs fragment, compare, and the page's forms.
		var browser = new WebSession(port);
		browser.signIn(bob.username(), "correct horse");
		for (var page : List.of("/research", "/research/runs", "/research/compare?run=" + run)) {
			var body = browser.get(page).body();
			assertThat(body).as(page).doesNotContain("vault suite").doesNotContain(canary).doesNotContain(SECRET_QUESTION);
		}
		browser.post("/research/runs", "suite", suite, "model", "vault-model");
		browser.post("/research/suites/delete", "suite", suite);
		browser.post("/research/runs/" + run + "/cancel");
		assertThat(read("/api/research/suites/" + suite, annToken).path("name").asText()).isEqualTo("vault suite");
		assertThat(read("/api/research/runs", annToken).path("data")).hasSize(1);
		assertThat(read("/api/research/runs/" + run, annToken).path("progress").path("status").asText()).isEqualTo("done");
		// Bob's data export holds only his own; Ann's holds her suite, items included.
		assertThat(springJson.writeValueAsString(identity.export(bob.id()))).doesNotContain(SECRET_QUESTION).contains("mine");
		assertThat(springJson.writeValueAsString(identity.export(ann.id()))).contains(SECRET_QUESTION);

		// An app acting for Ann with the research scope sees scores, never the items or replies.
		var app = new Caller(ann.id(), ann.username(), null, WorkloadClass.APP,
				new Caller.ConnectedApp(UUID.randomUUID().toString(), "notebook-app", "Notebook", Set.of(Scopes.RESEARCH)));
		var suiteId = UUID.fromString(suite);
		var runId = UUID.fromString(run);
		assertThat(research.suites(app)).extracting(ResearchManagement.SuiteInfo::id).contains(suiteId);
		assertThat(research.run(app, runId).summary().accuracy()).isEqualTo(1.0);
		assertThatThrownBy(() -> research.items(app, suiteId)).isInstanceOf(HeldOutException.class);
		assertThatThrownBy(() -> research.results(app, runId)).isInstanceOf(HeldOutException.class);
		assertThat(research.items(app, UUID.fromString(suiteOf(ann, "open")))).as("a suite not held out").hasSize(20);
	}

	@Test
	void deletingTheAccountErasesItsSuitesAndRunsAndStopsItsRuns() throws Exception {
		var suite = json.readTree(send("POST", "/api/research/suites?name=addition", annToken, EvaluationRunTests.ADDITION,
				"application/x-ndjson").body()).path("id").asText();
		var run = start(suite, FakeModelServer.MODEL, annToken);
		research.await(UUID.fromString(run));
		identity.deleteAccount(ann.id(), "correct horse");
		assertThat(jdbc.sql("select count(*) from eval_suite where owner_id = :p").param("p", ann.id().value()).query(Long.class).single())
			.isZero();
		assertThat(jdbc.sql("select count(*) from eval_run where owner_id = :p").param("p", ann.id().value()).query(Long.class).single())
			.isZero();
		assertThat(jdbc.sql("select count(*) from eval_result where run_id = :r").param("r", UUID.fromString(run)).query(Long.class).single())
			.isZero();
	}

	// ---- helpers

	private String suiteOf(Person person, String name) throws Exception {
		var token = identity.issueToken(person.id(), "lookup", WorkloadClass.INTERACTIVE).secret();
		var uploaded = send("POST", "/api/research/suites?name=" + name, token, EvaluationRunTests.ADDITION, "application/x-ndjson");
		return json.readTree(uploaded.body()).path("id").asText();
	}

	private Person person() {
		return identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
	}

	private String start(String suite, String model, String token) throws Exception {
		var started = send("POST", "/api/research/runs", token,
				"{\"suite\": \"" + suite + "\", \"model\": \"" + model + "\", \"concurrency\": 2}", "application/json");
		assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
		var run = json.readTree(started.body()).path("id").asText();
		assertThat(started.headers().firstValue("Location")).contains("/api/research/runs/" + run);
		return run;
	}

	private HttpRequest.Builder request(String path, String token) {
		return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("Authorization", "Bearer " + token);
	}

	private HttpResponse<String> send(String method, String path, String token, @Nullable String body, @Nullable String type)
			throws Exception {
		var builder = request(path, token).method(method,
				body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
		if (type != null) {
			builder.header("Content-Type", type);
		}
		return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
	}

	private JsonNode read(String path, String token) throws Exception {
		var response = send("GET", path, token, null, null);
		assertThat(response.statusCode()).as(path + " " + response.body()).isEqualTo(200);
		return json.readTree(response.body());
	}
}
