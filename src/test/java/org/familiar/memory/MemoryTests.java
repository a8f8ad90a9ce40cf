package org.familiar.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.familiar.assistant.AssistantManagement;
import org.familiar.assistant.ReplySink;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.Person;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Memory end to end on a real port: {@code /api/memories} over HTTP, {@code /v1} with the openai-java
 * SDK, the web chat's service, extraction against a scripted stand-in model server, and the
 * account's export and deletion through the real sign-in.
 */
class MemoryTests extends RunningFamiliar {

	@Autowired
	AssistantManagement assistant;

	@Autowired
	MemoryManagement memory;

	@Autowired
	JdbcClient jdbc;

	final ObjectMapper json = new ObjectMapper();

	final HttpClient http = HttpClient.newHttpClient();

	Person ann;

	String annToken;

	@BeforeEach
	void signUp() {
		ann = person();
		annToken = token(ann, WorkloadClass.INTERACTIVE);
	}

	@AfterEach
	void unscript() {
		backend.script = request -> null;
	}

	@Test
	void aMemoryShapesLaterRepliesAndTheReplySaysWhichOne() throws Exception {
		var created = api("POST", "/api/memories", annToken, "{\"content\": \"Is vegetarian and cooks for two.\"}");
		assertThat(created.statusCode()).isEqualTo(201);
		var body = json.readTree(created.body());
		var id = body.path("id").asText();
		assertThat(body.path("content").asText()).isEqualTo("Is vegetarian and cooks for two.");
		assertThat(body.path("source").asText()).isEqualTo("manual");
		assertThat(body.path("kind").asText()).isEqualTo("fact");
		assertThat(body.path("created_at").asText()).isNotBlank();
		assertThat(created.headers().firstValue("Location")).hasValue("/api/memories/" + id);

		var reply = openai(annToken).chat().completions().withRawResponse().create(ask("What should I cook for dinner tonight?"));
		assertThat(reply.headers().values("X-Familiar-Memories")).containsExactly(id);
		assertThat(reply.parse().choices().getFirst().message().content()).isPresent();
		assertThat(backend.systemPromptFor("cook for dinner")).contains("Is vegetarian and cooks for two.");

		await().atMost(Duration.ofSeconds(5))
			.until(() -> json.readTree(api("GET", "/api/memories/" + id, annToken, null).body()).path("used_count").asInt() == 1);

		// The caller can leave memory out of one request.
		var without = openai(annToken).chat().completions().withRawResponse()
			.create(ask("What should I cook on Sunday?").toBuilder().putAdditionalHeader("X-Familiar-Memory", "off").build());
		assertThat(without.headers().values("X-Familiar-Memories")).containsExactly("");
		assertThat(backend.systemPromptFor("cook on Sunday")).isEmpty();
	}

	@Test
	void peopleNeverSeeEachOthersMemories() throws Exception {
		var id = created(annToken, "{\"content\": \"Has a border collie named Pixel.\"}");
		var bob = person();
		var bobToken = token(bob, WorkloadClass.INTERACTIVE);
		assertThat(list(bobToken)).isEmpty();
		assertThat(api("GET", "/api/memories/" + id, bobToken, null).statusCode()).isEqualTo(404);
		assertThat(api("PATCH", "/api/memories/" + id, bobToken, "{\"content\": \"mine now\"}").statusCode()).isEqualTo(404);
		assertThat(api("DELETE", "/api/memories/" + id, bobToken, null).statusCode()).isEqualTo(404);
		var reply = openai(bobToken).chat().completions().withRawResponse().create(ask("Name ideas for my dog's new toy?"));
		assertThat(reply.headers().values("X-Familiar-Memories")).containsExactly("");
		assertThat(backend.systemPromptFor("my dog's new toy")).doesNotContain("Pixel");
		assertThat(list(annToken)).extracting(m -> m.path("content").asText()).containsExactly("Has a border collie named Pixel.");
	}

	@Test
	void appsSeeOnlyWhatIsSharedWithThem() throws Exception {
		var appA = token(ann, WorkloadClass.APP);
		var appB = token(ann, WorkloadClass.APP);
		var everyone = created(annToken, "{\"content\": \"Is vegetarian.\"}");
		var familiarOnly = created(annToken, "{\"content\": \"Keeps a diary about vegetables.\", \"apps\": []}");
		var fromA = created(appA, "{\"content\": \"Prefers metric units in recipes.\", \"kind\": \"preference\"}");
		assertThat(json.readTree(api("GET", "/api/memories/" + fromA, appA, null).body()).path("source").asText()).isEqualTo("app");

		assertThat(ids(list(annToken))).containsExactlyInAnyOrder(everyone, familiarOnly, fromA);
		assertThat(ids(list(appA))).containsExactlyInAnyOrder(everyone, fromA);
		assertThat(ids(list(appB))).containsExactly(everyone);
		assertThat(api("GET", "/api/memories/" + fromA, appB, null).statusCode()).isEqualTo(404);
		assertThat(api("GET", "/api/memories/" + familiarOnly, appA, null).statusCode()).isEqualTo(404);
		assertThat(api("DELETE", "/api/memories/" + familiarOnly, appA, null).statusCode()).isEqualTo(404);

		var forB = openai(appB).chat().completions().withRawResponse().create(ask("Which vegetables go in a curry recipe?"));
		assertThat(forB.headers().values("X-Familiar-Memories").getFirst()).doesNotContain(fromA).doesNotContain(familiarOnly);
		assertThat(backend.systemPromptFor("go in a curry")).contains("Is vegetarian.").doesNotContain("metric").doesNotContain("diary");
		var forA = openai(appA).chat().completions().withRawResponse().create(ask("Which vegetables go in a stew recipe?"));
		assertThat(forA.headers().values("X-Familiar-Memories").getFirst()).contains(fromA).doesNotContain(familiarOnly);
	}

	@Test
	void forgettingRemovesTheMemoryAndItsEmbeddingForGood() throws Exception {
		var id = created(annToken, "{\"content\": \"Is allergic to peanuts.\"}");
		var keep = created(annToken, "{\"content\": \"Lives in Lisbon.\"}");
		var before = openai(annToken).chat().completions().withRawResponse().create(ask("Can I eat this satay sauce with peanuts?"));
		assertThat(before.headers().values("X-Familiar-Memories").getFirst()).contains(id);

		assertThat(api("DELETE", "/api/memories/" + id, annToken, null).statusCode()).isEqualTo(204);
		assertThat(api("GET", "/api/memories/" + id, annToken, null).statusCode()).isEqualTo(404);
		assertThat(api("DELETE", "/api/memories/" + id, annToken, null).statusCode()).isEqualTo(404);
		assertThat(jdbc.sql("select count(*) from memory where id = :id").param("id", UUID.fromString(id)).query(Long.class).single())
			.isZero();
		assertThat(ids(list(annToken))).containsExactly(keep);
		var after = openai(annToken).chat().completions().withRawResponse().create(ask("Is satay sauce with peanuts fine for me?"));
		assertThat(after.headers().values("X-Familiar-Memories").getFirst()).doesNotContain(id);
		assertThat(backend.systemPromptFor("satay sauce with peanuts fine")).doesNotContain("peanuts.");

		assertThat(memory.forgetAll(ann.id())).isEqualTo(1);
		assertThat(list(annToken)).isEmpty();
		assertThat(jdbc.sql("select count(*) from memory where person_id = :p").param("p", ann.id().value()).query(Long.class).single())
			.isZero();
	}

	@Test
	void badInputGetsAClearProblemAndChangesNothing() throws Exception {
		var malformed = api("POST", "/api/memories", annToken, "{\"content\": ");
		assertThat(malformed.statusCode()).isEqualTo(400);
		assertThat(malformed.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
		assertThat(json.readTree(malformed.body()).path("detail").asText()).contains("not valid JSON");
		assertThat(json.readTree(api("POST", "/api/memories", annToken, "{\"content\": \"  \"}").body()).path("detail").asText())
			.contains("needs some content");
		assertThat(api("POST", "/api/memories", annToken, "{}").statusCode()).isEqualTo(400);
		assertThat(json.readTree(api("POST", "/api/memories", annToken,
				"{\"content\": \"" + "x".repeat(1001) + "\"}").body()).path("detail").asText()).contains("under 1000 characters");
		assertThat(json.readTree(api("POST", "/api/memories", annToken, "{\"content\": \"ok\", \"kind\": \"rumour\"}").body())
			.path("detail").asText()).contains("'fact' or 'preference'");
		assertThat(api("GET", "/api/memories/" + UUID.randomUUID(), annToken, null).statusCode()).isEqualTo(404);
		assertThat(api("GET", "/api/memories/not-an-id", annToken, null).statusCode()).isEqualTo(404);
		assertThat(api("GET", "/api/memories", "fam_wrong", null).statusCode()).isEqualTo(401);
		assertThat(list(annToken)).isEmpty();
	}

	@Test
	void editingChangesWordingKindAndSharing() throws Exception {
		var id = created(annToken, "{\"content\": \"Lives in Porto.\"}");
		var edited = api("PATCH", "/api/memories/" + id, annToken, "{\"content\": \"Lives in Lisbon.\", \"apps\": []}");
		assertThat(edited.statusCode()).isEqualTo(200);
		var body = json.readTree(edited.body());
		assertThat(body.path("content").asText()).isEqualTo("Lives in Lisbon.");
		assertThat(body.path("apps")).isEmpty();
		openai(annToken).chat().completions().create(ask("Where can I get good pastries near where I live?"));
		assertThat(backend.systemPromptFor("pastries near")).contains("Lives in Lisbon.").doesNotContain("Porto");
	}

	@Test
	void learnsFromChatsMergesNearDuplicatesAndReplacesContradictions() {
		backend.script = request -> {
			var messages = request.path("messages");
			if (!messages.get(0).path("content").asText().startsWith("You update the memory Familiar keeps")) {
				return null;
			}
			var prompt = messages.get(1).path("content").asText();
			if (prompt.contains("vegan now")) {
				return "Sure: {\"memories\": [{\"op\": \"replace\", \"ref\": \"m1\", \"content\": \"Is vegan\", \"kind\": \"fact\"}]}";
			}
			if (prompt.contains("a vegetarian, you know")) {
				return "{\"memories\": [{\"op\": \"add\", \"content\": \"Is a vegetarian\", \"kind\": \"fact\"}]}";
			}
			if (prompt.contains("vegetarian")) {
				return "{\"memories\": [{\"op\": \"add\", \"content\": \"Is vegetarian\", \"kind\": \"fact\"}]}";
			}
			if (prompt.contains("like I'm five")) {
				return "{\"memories\": [{\"op\": \"add\", \"content\": \"Prefers explanations as if they were five\", \"kind\": \"preference\"}]}";
			}
			if (prompt.contains("garbage")) {
				return "I think you like {not json";
			}
			return "{\"memories\": []}";
		};
		var me = caller(ann);
		var chat = assistant.start(me, FakeModelServer.MODEL, "food");
		var batchBefore = settledBatchRequests();
		assistant.reply(me, chat.id(), FakeModelServer.MODEL, "I'm vegetarian, any dinner tips?", text -> {
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> contents(me).contains("Is vegetarian"));
		var learned = memory.memories(me, null, 10).getFirst();
		assertThat(learned.source()).isEqualTo(MemorySource.CONVERSATION);
		assertThat(learned.sourceRef()).isEqualTo("conversation:" + chat.id());
		// Extraction is batch work billed to the person, not a free side channel.
		await().atMost(Duration.ofSeconds(10)).until(() -> settledBatchRequests() > batchBefore);

		assistant.reply(me, chat.id(), FakeModelServer.MODEL, "Honestly I'm a vegetarian, you know", text -> {
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> contents(me).equals(List.of("Is a vegetarian")));

		assistant.reply(me, chat.id(), FakeModelServer.MODEL, "Actually I'm vegan now", text -> {
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> contents(me).equals(List.of("Is vegan")));
		assertThat(memory.memories(me, null, 10).getFirst().id()).isEqualTo(learned.id());

		assistant.reply(me, chat.id(), FakeModelServer.MODEL, "garbage in, garbage out", text -> {
		});
		assistant.reply(me, chat.id(), FakeModelServer.MODEL, "Please explain things like I'm five", text -> {
		});
		await().atMost(Duration.ofSeconds(10)).until(() -> contents(me).contains("Prefers explanations as if they were five"));
		assertThat(contents(me)).hasSize(2);

		// A new conversation, never asked again: the preference shapes the reply, and says so.
		var later = assistant.start(me, FakeModelServer.MODEL, "space");
		var used = new CopyOnWriteArrayList<Memory>();
		var reply = assistant.reply(me, later.id(), FakeModelServer.MODEL, "What is a black hole?", new ReplySink() {
			@Override
			public void recalled(List<Memory> memories, @Nullable Memory remembered) {
				used.addAll(memories);
			}

			@Override
			public void accept(String text) {
			}
		});
		assertThat(backend.systemPromptFor("What is a black hole?")).contains("Prefers explanations as if they were five");
		assertThat(used).extracting(Memory::content).contains("Prefers explanations as if they were five");
		assertThat(reply.memoryIds()).containsAll(used.stream().map(m -> m.id().toString()).toList());
		assertThat(assistant.messages(me, later.id()).getLast().memoryIds()).isEqualTo(reply.memoryIds());
	}

	@Test
	void rememberThatIsStoredAtOnceAndShapesThatVeryReply() {
		var me = caller(ann);
		var chat = assistant.start(me, FakeModelServer.MODEL, "family");
		var remembered = new ArrayList<Memory>();
		assistant.reply(me, chat.id(), FakeModelServer.MODEL, "Remember that my sister is called Ana.", new ReplySink() {
			@Override
			public void recalled(List<Memory> memories, @Nullable Memory memory) {
				if (memory != null) {
					remembered.add(memory);
				}
			}

			@Override
			public void accept(String text) {
			}
		});
		assertThat(remembered).extracting(Memory::content).containsExactly("My sister is called Ana.");
		assertThat(remembered.getFirst().source()).isEqualTo(MemorySource.CONVERSATION);
		assertThat(backend.systemPromptFor("my sister is called Ana")).contains("My sister is called Ana.");
	}

	@Test
	void feedbackWithAReasonBecomesAPreferenceForEveryLaterReply() {
		var me = caller(ann);
		var chat = assistant.start(me, FakeModelServer.MODEL, "taxes");
		var reply = assistant.reply(me, chat.id(), FakeModelServer.MODEL, "How do taxes work?", text -> {
		});
		assertThat(assistant.rate(me, reply.id(), -1, null)).isNull();
		var remembered = assistant.rate(me, reply.id(), -1, "too long, use bullet points");
		assertThat(remembered).isNotNull();
		assertThat(remembered.memory().kind()).isEqualTo(MemoryKind.PREFERENCE);
		assertThat(remembered.memory().source()).isEqualTo(MemorySource.FEEDBACK);
		assertThat(assistant.messages(me, chat.id()).getLast().rating()).isEqualTo(-1);

		var other = assistant.start(me, FakeModelServer.MODEL, "cats");
		assistant.reply(me, other.id(), FakeModelServer.MODEL, "Why do cats purr?", text -> {
		});
		assertThat(backend.systemPromptFor("Why do cats purr?")).contains("Disliked in a reply: too long, use bullet points");

		var stranger = caller(person());
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> assistant.rate(stranger, reply.id(), 1, "great"))
			.isInstanceOf(org.familiar.assistant.ConversationNotFoundException.class);
	}

	@Test
	void theInterviewTurnsAnswersIntoMemoriesAndThenChatsOn() {
		var me = caller(ann);
		assertThat(memory.profile(ann.id()).interviewedAt()).isNull();
		var interview = assistant.startInterview(me, FakeModelServer.MODEL);
		assertThat(assistant.messages(me, interview.id())).extracting(m -> m.content())
			.containsExactly(Interview.QUESTIONS.getFirst().text());
		// The model writes each answer down (batch work); one that answers nothing it says to skip.
		var statements = java.util.Map.of("Sam", "Wants to be called Sam.", "I teach maths at a secondary school",
				"Teaches maths at a secondary school.", "step by step", "\"Likes explanations step by step.\"",
				"hmm, what time is it?", "SKIP", "I'm vegetarian", "Is vegetarian.");
		backend.script = request -> {
			var messages = request.path("messages");
			if (!messages.path(0).path("content").asText().startsWith("You write down what a person told Familiar")) {
				return null;
			}
			var asked = messages.path(1).path("content").asText();
			return statements.get(asked.substring(asked.indexOf("\nAnswer: ") + "\nAnswer: ".length()));
		};
		var answers = List.of("Sam", "I teach maths at a secondary school", "step by step", "hmm, what time is it?",
				"I'm vegetarian");
		var replies = new ArrayList<String>();
		for (var answer : answers) {
			var sb = new StringBuilder();
			assistant.reply(me, interview.id(), FakeModelServer.MODEL, answer, sb::append);
			replies.add(sb.toString());
		}
		assertThat(replies.subList(0, 4)).containsExactlyElementsOf(Interview.QUESTIONS.subList(1, 5).stream().map(Interview.Question::text).toList());
		assertThat(replies.getLast()).isEqualTo(Interview.DONE);
		org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
				memory.memories(me, null, 10)).extracting(Memory::content).containsExactlyInAnyOrder("Wants to be called Sam.",
						"Teaches maths at a secondary school.", "Likes explanations step by step.", "Is vegetarian."));
		backend.script = request -> null;
		var learned = memory.memories(me, null, 10);
		assertThat(learned).allMatch(m -> m.source() == MemorySource.ONBOARDING);
		assertThat(memory.profile(ann.id()).interviewedAt()).isNotNull();

		var sb = new StringBuilder();
		assistant.reply(me, interview.id(), FakeModelServer.MODEL, "What's for lunch?", sb::append);
		assertThat(sb.toString()).isEqualTo("Hello! You said: What's for lunch?");
		assertThat(backend.systemPromptFor("What's for lunch?")).contains("Wants to be called Sam.")
			.contains("Likes explanations step by step.");
	}

	@Test
	void withoutAModelAnInterviewAnswerIsKeptAsSaidNotPastedIntoATemplate() {
		var me = caller(person());
		memory.answerInterview(me, 0, "I am a nurse, call me Sam", "conversation:x", null);
		assertThat(memory.memories(me, null, 10)).extracting(Memory::content)
			.containsExactly("Asked what to call them, said: \u201cI am a nurse, call me Sam\u201d");
	}

	@Test
	void personalityAndPauseShapeThePrompt() {
		var me = caller(ann);
		memory.remember(me, "Likes answers with a short summary first.", MemoryKind.PREFERENCE, MemorySource.MANUAL, null, null);
		memory.personality(ann.id(), new Personality(Personality.Preset.SKEPTIC, 1, 3, 3));
		openai(annToken).chat().completions().create(ask("Is coffee healthy?"));
		assertThat(backend.systemPromptFor("Is coffee healthy?")).contains("careful skeptic")
			.contains("as short as possible")
			.contains("Likes answers with a short summary first.");

		memory.pause(ann.id(), true);
		var paused = openai(annToken).chat().completions().withRawResponse().create(ask("Is tea healthy?"));
		assertThat(paused.headers().values("X-Familiar-Memories")).containsExactly("");
		assertThat(backend.systemPromptFor("Is tea healthy?")).contains("careful skeptic").doesNotContain("short summary");
		var chat = assistant.start(me, FakeModelServer.MODEL, "x");
		assistant.reply(me, chat.id(), FakeModelServer.MODEL, "Remember that I hate olives", text -> {
		});
		assertThat(contents(me)).doesNotContain("I hate olives");
		memory.pause(ann.id(), false);
	}

	@Test
	void batchAndResearchWorkIsNeverPersonalised() throws Exception {
		created(annToken, "{\"content\": \"Prefers answers in French.\", \"kind\": \"preference\"}");
		memory.personality(ann.id(), new Personality(Personality.Preset.WARM, 3, 3, 3));
		for (var workload : List.of(WorkloadClass.BATCH, WorkloadClass.RESEARCH)) {
			var reply = openai(token(ann, workload)).chat().completions().withRawResponse()
				.create(ask("Grade this answer for " + workload.id()));
			assertThat(reply.headers().values("X-Familiar-Memories")).containsExactly("");
			assertThat(backend.systemPromptFor("Grade this answer for " + workload.id())).isEmpty();
		}
	}

	@Test
	void theExportHoldsEverythingAndDeletingTheAccountErasesIt() throws Exception {
		var me = caller(ann);
		memory.remember(me, "Grows tomatoes on the balcony.", null, MemorySource.MANUAL, null, null);
		var chat = assistant.start(me, FakeModelServer.MODEL, "garden");
		var reply = assistant.reply(me, chat.id(), FakeModelServer.MODEL, "My tomato leaves are yellow", text -> {
		});
		assistant.rate(me, reply.id(), 1, "practical");
		openai(annToken).chat().completions().create(ask("hello"));

		var browser = new WebSession(port);
		browser.signIn(ann.username(), "correct horse");
		var otherBrowser = new WebSession(port);
		otherBrowser.signIn(ann.username(), "correct horse");
		var export = browser.get("/settings/account/export");
		assertThat(export.statusCode()).isEqualTo(200);
		assertThat(export.headers().firstValue("Content-Disposition")).hasValueSatisfying(v -> assertThat(v).contains("attachment"));
		var data = json.readTree(export.body());
		assertThat(data.path("account").path("username").asText()).isEqualTo(ann.username());
		assertThat(data.path("account").path("tokens").toString()).doesNotContain("fam_");
		assertThat(data.path("memory").path("memories").toString()).contains("Grows tomatoes on the balcony.")
			.contains("Liked in a reply: practical");
		assertThat(data.path("memory").path("feedback")).hasSize(1);
		assertThat(data.path("conversations").toString()).contains("My tomato leaves are yellow");
		await().atMost(Duration.ofSeconds(5))
			.until(() -> json.readTree(browser.get("/settings/account/export").body()).path("usage").path("requests").size() >= 2);

		var csrf = WebSession.csrf(browser.get("/settings/account").body());
		var wrong = browser.post("/settings/account/delete", "_csrf", csrf, "password", "wrong", "confirm", "true");
		assertThat(WebSession.location(wrong)).endsWith("/settings/account");
		assertThat(identity.person(ann.id())).isPresent();

		var deleted = browser.post("/settings/account/delete", "_csrf", csrf, "password", "correct horse", "confirm", "true");
		assertThat(WebSession.location(deleted)).endsWith("/login?deleted");
		assertThat(identity.person(ann.id())).isEmpty();
		for (var table : List.of("memory", "memory_book", "memory_feedback", "conversation", "ledger_hold", "ledger_entry", "usage_bucket",
				"plan_account")) {
			assertThat(jdbc.sql("select count(*) from " + table + " where person_id = :p").param("p", ann.id().value())
				.query(Long.class).single()).as(table).isZero();
		}
		assertThat(api("GET", "/api/memories", annToken, null).statusCode()).isEqualTo(401);
		assertThat(WebSession.location(otherBrowser.get("/memory"))).endsWith("/login?deleted");
	}

	// ---- helpers

	private Person person() {
		return identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
	}

	private String token(Person person, WorkloadClass workload) {
		return identity.issueToken(person.id(), workload.id(), workload).secret();
	}

	private static Caller caller(Person person) {
		return new Caller(person.id(), person.username(), null, WorkloadClass.INTERACTIVE);
	}

	private List<String> contents(Caller caller) {
		return memory.memories(caller, null, 100).stream().map(Memory::content).toList();
	}

	private long settledBatchRequests() {
		return jdbc.sql("select count(*) from ledger_entry where kind = 'settle' and workload = 'batch' and person_id = :p")
			.param("p", ann.id().value())
			.query(Long.class)
			.single();
	}

	private OpenAIClient openai(String token) {
		return OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1").apiKey(token).maxRetries(0).build();
	}

	private static ChatCompletionCreateParams ask(String text) {
		return ChatCompletionCreateParams.builder().model(FakeModelServer.MODEL).addUserMessage(text).build();
	}

	private URI url(String path) {
		return URI.create("http://localhost:" + port + path);
	}

	private HttpResponse<String> api(String method, String path, String token, @Nullable String body)
			throws IOException, InterruptedException {
		var request = HttpRequest.newBuilder(url(path))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
		return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	private String created(String token, String body) throws IOException, InterruptedException {
		var response = api("POST", "/api/memories", token, body);
		assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
		return json.readTree(response.body()).path("id").asText();
	}

	private List<JsonNode> list(String token) throws IOException, InterruptedException {
		var response = api("GET", "/api/memories", token, null);
		assertThat(response.statusCode()).isEqualTo(200);
		var items = new ArrayList<JsonNode>();
		json.readTree(response.body()).path("data").forEach(items::add);
		return items;
	}

	private static List<String> ids(List<JsonNode> memories) {
		return memories.stream().map(m -> m.path("id").asText()).toList();
	}
}
