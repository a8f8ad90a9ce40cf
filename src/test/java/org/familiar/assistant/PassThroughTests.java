package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ReasoningEffort;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.completions.CompletionCreateParams;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.PersonId;
import org.familiar.memory.MemoryManagement;
import org.familiar.plans.PlansManagement;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code /v1/chat/completions} passes the client's request through and relays the backend's reply:
 * a whole tool loop with the official openai-java SDK, plain and streamed, structured output, an
 * image part, reasoning and logprobs; a large real-world body arrives at the model server equal but
 * for the fields Familiar owns; a backend that cannot honour a field gets a 400 naming it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PassThroughTests {

	static FakeModelServer backend;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = new FakeModelServer(0, 0, FakeModelServer.MODEL, "fake-embed");
		registry.add("familiar.backends.fake.url", backend::baseUrl);
		registry.add("familiar.aliases.house", () -> FakeModelServer.MODEL);
	}

	@AfterAll
	static void stopBackend() {
		backend.close();
	}

	@LocalServerPort
	int port;

	@Autowired
	IdentityManagement identity;

	@Autowired
	MemoryManagement memory;

	@Autowired
	PlansManagement plans;

	private final ObjectMapper json = new ObjectMapper();

	private PersonId person;

	private String token;

	private OpenAIClient openai;

	@BeforeEach
	void signUp() {
		person = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null).id();
		token = identity.issueToken(person, "agent", WorkloadClass.APP).secret();
		openai = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1").apiKey(token).maxRetries(0).build();
	}

	private static ChatCompletionFunctionTool weather() {
		return ChatCompletionFunctionTool.builder()
			.function(FunctionDefinition.builder()
				.name("get_weather")
				.description("The weather in a city now")
				.parameters(FunctionParameters.builder()
					.putAdditionalProperty("type", JsonValue.from("object"))
					.putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
					.putAdditionalProperty("required", JsonValue.from(List.of("city")))
					.build())
				.build())
			.build();
	}

	@Test
	void aToolLoopRunsThroughPlain() {
		var params = ChatCompletionCreateParams.builder().model("house").addUserMessage("Oslo").addTool(weather()).build();
		var first = openai.chat().completions().create(params);
		var choice = first.choices().getFirst();
		assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
		var call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
		assertThat(call.function().name()).isEqualTo("get_weather");
		assertThat(call.function().arguments()).isEqualTo("{\"city\":\"Oslo\"}");
		assertThat(first.model()).as("the name the client asked for, not the backend's").isEqualTo("house");
		assertThat(first.id()).startsWith("chatcmpl-").isNotEqualTo("fake-1");
		var upstream = backend.requests.getLast();
		assertThat(upstream.path("tools").get(0).path("function").path("name").asText()).isEqualTo("get_weather");
		assertThat(upstream.path("stream").asBoolean()).as("a plain request stays plain upstream").isFalse();

		var second = openai.chat().completions().create(params.toBuilder()
			.addMessage(choice.message())
			.addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("12 °C and rain").build())
			.build());
		assertThat(second.choices().getFirst().message().content()).hasValue("The tool said: 12 °C and rain");
		assertThat(second.choices().getFirst().finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
		var messages = backend.requests.getLast().path("messages");
		assertThat(messages.get(messages.size() - 2).path("tool_calls").get(0).path("id").asText()).isEqualTo(call.id());
		assertThat(messages.get(messages.size() - 1).path("role").asText()).isEqualTo("tool");
		assertThat(messages.get(messages.size() - 1).path("tool_call_id").asText()).isEqualTo(call.id());
	}

	@Test
	void aToolLoopRunsThroughStreamed() {
		var params = ChatCompletionCreateParams.builder()
			.model(FakeModelServer.MODEL)
			.addUserMessage("Bergen")
			.addTool(weather())
			.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
			.build();
		var accumulator = ChatCompletionAccumulator.create();
		var ids = new ArrayList<String>();
		try (var stream = openai.chat().completions().createStreaming(params)) {
			stream.stream().forEach(chunk -> {
				ids.add(chunk.id());
				accumulator.accumulate(chunk);
			});
		}
		var first = accumulator.chatCompletion();
		assertThat(ids).as("one id, Familiar's, on every chunk").hasSizeGreaterThan(3).allMatch(ids.getFirst()::equals);
		var choice = first.choices().getFirst();
		assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.TOOL_CALLS);
		var call = choice.message().toolCalls().orElseThrow().getFirst().asFunction();
		assertThat(call.function().arguments()).as("argument deltas assembled").isEqualTo("{\"city\":\"Bergen\"}");
		assertThat(first.usage().orElseThrow().completionTokens()).isEqualTo(3);

		var next = ChatCompletionAccumulator.create();
		try (var stream = openai.chat().completions().createStreaming(params.toBuilder()
			.addMessage(choice.message())
			.addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("sunny").build())
			.build())) {
			stream.stream().forEach(next::accumulate);
		}
		assertThat(next.chatCompletion().choices().getFirst().message().content()).hasValue("The tool said: sunny");
	}

	record Capital(String city) {
	}

	@Test
	void structuredOutputComesBackInTheSchema() {
		var params = ChatCompletionCreateParams.builder()
			.model(FakeModelServer.MODEL)
			.addUserMessage("Paris")
			.responseFormat(Capital.class)
			.build();
		var reply = openai.chat().completions().create(params);
		assertThat(reply.choices().getFirst().message().content().orElseThrow().city()).isEqualTo("Paris");
		var format = backend.requests.getLast().path("response_format");
		assertThat(format.path("type").asText()).isEqualTo("json_schema");
		assertThat(format.path("json_schema").path("schema").path("properties").has("city")).isTrue();
	}

	@Test
	void anImagePartReachesTheModel() {
		var image = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
		var params = ChatCompletionCreateParams.builder()
			.model(FakeModelServer.MODEL)
			.addUserMessageOfArrayOfContentParts(List.of(
					ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text("What is this?").build()),
					ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
						.imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url(image).build())
						.build())))
			.build();
		var reply = openai.chat().completions().create(params);
		assertThat(reply.choices().getFirst().message().content()).hasValue("Hello! You said: What is this? (and sent 1 attachment)");
		var parts = backend.requests.getLast().path("messages").get(0).path("content");
		assertThat(parts.get(1).path("image_url").path("url").asText()).isEqualTo(image);
	}

	@Test
	void reasoningLogprobsAndUsageDetailsArriveIntact() throws Exception {
		var params = ChatCompletionCreateParams.builder()
			.model(FakeModelServer.MODEL)
			.addUserMessage("think")
			.reasoningEffort(ReasoningEffort.LOW)
			.logprobs(true)
			.build();
		var plain = raw(json.writeValueAsString(params._body()), false);
		var message = plain.path("choices").get(0).path("message");
		assertThat(message.path("reasoning_content").asText()).isEqualTo("Thinking it over.");
		assertThat(plain.path("choices").get(0).path("logprobs").path("content").get(0).path("token").asText()).isEqualTo("Hello!");
		assertThat(plain.path("usage").path("completion_tokens_details").path("reasoning_tokens").asInt()).isEqualTo(3);

		var streamed = sse(json.writeValueAsString(params._body()).replaceFirst("\\{", "{\"stream\":true,\"stream_options\":{\"include_usage\":true},"));
		var reasoning = new StringBuilder();
		int logprobs = 0;
		JsonNode usage = null;
		for (var chunk : streamed) {
			var delta = chunk.path("choices").path(0).path("delta");
			reasoning.append(delta.path("reasoning_content").asText(""));
			logprobs += chunk.path("choices").path(0).path("logprobs").path("content").size();
			if (chunk.hasNonNull("usage")) {
				usage = chunk.get("usage");
			}
		}
		assertThat(reasoning.toString()).isEqualTo("Thinking it over.");
		assertThat(logprobs).as("one per content token").isEqualTo(4);
		assertThat(usage).isNotNull();
		assertThat(usage.path("prompt_tokens_details").path("cached_tokens").isInt()).isTrue();
		assertThat(usage.path("completion_tokens_details").path("reasoning_tokens").asInt()).isEqualTo(3);
	}

	@Test
	void theUsageChunkReachesOnlyAClientThatAskedForIt() throws Exception {
		var chunks = sse("{\"model\":\"fake-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
		assertThat(chunks).noneMatch(chunk -> chunk.hasNonNull("usage"));
		assertThat(backend.requests.getLast().path("stream_options").path("include_usage").asBoolean())
			.as("asked of the backend anyway, to meter the stream").isTrue();
		// Settled after the reply, off the request's thread.
		org.awaitility.Awaitility.await().until(() -> plans.usage(person).heldTokens() == 0);
		assertThat(plans.usage(person).usedTokens()).as("metered all the same").isPositive();
	}

	/**
	 * A large request as agent frameworks send it — every field OpenAI defines, vendor extras
	 * included — arrives at the model server equal as JSON, but for the fields Familiar owns.
	 */
	@Test
	void aRealWorldBodyArrivesEqualButForWhatFamiliarOwns() throws Exception {
		var sent = (ObjectNode) json.readTree(GOLDEN);
		raw(GOLDEN, false);
		var arrived = (ObjectNode) backend.requests.getLast().deepCopy();
		assertThat(arrived.path("model").asText()).isEqualTo(FakeModelServer.MODEL);
		assertThat(arrived.path("max_completion_tokens").asInt()).as("capped to what the plan reserved").isEqualTo(300);
		assertThat(arrived.path("user").asText()).startsWith("familiar-").doesNotContain(person.toString());
		assertThat(arrived.path("stream").asBoolean()).isFalse();
		for (var owned : List.of("model", "max_completion_tokens", "user", "stream", "stream_options")) {
			sent.remove(owned);
			arrived.remove(owned);
		}
		assertThat(arrived).isEqualTo(sent);
	}

	@Test
	void memoryMergesIntoTheRequestsOwnSystemMessage() throws Exception {
		var ada = identity.person(person).orElseThrow();
		memory.remember(new org.familiar.identity.Caller(person, ada.username(), null, WorkloadClass.INTERACTIVE),
				"Likes short answers.", org.familiar.memory.MemoryKind.PREFERENCE, org.familiar.memory.MemorySource.MANUAL,
				null, null);
		var body = "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"developer\",\"content\":\"You are a terse agent.\"},"
				+ "{\"role\":\"user\",\"content\":\"hello\"}]}";
		raw(body, false);
		var messages = backend.requests.getLast().path("messages");
		assertThat(messages).hasSize(2);
		assertThat(messages.get(0).path("role").asText()).isEqualTo("developer");
		assertThat(messages.get(0).path("content").asText()).contains("short answers").endsWith("You are a terse agent.");
	}

	@Test
	void theEmbeddedEngineRefusesWhatItCannotHonourNamingTheField() {
		var embedded = "Llama-3.2-1B-Instruct-JQ4";
		assertThatThrownBy(() -> openai.chat().completions()
			.create(ChatCompletionCreateParams.builder().model(embedded).addUserMessage("Oslo").addTool(weather()).build()))
			.isInstanceOfSatisfying(BadRequestException.class, ex -> {
				assertThat(ex.param()).hasValue("tools");
				assertThat(ex.code()).hasValue("unsupported_parameter");
				assertThat(ex.getMessage()).contains("'tools'");
			});
		assertThatThrownBy(() -> openai.chat().completions()
			.create(ChatCompletionCreateParams.builder().model(embedded).addUserMessage("hi").responseFormat(Capital.class).build()))
			.isInstanceOfSatisfying(BadRequestException.class, ex -> assertThat(ex.param()).hasValue("response_format"));
		assertThatThrownBy(() -> openai.chat().completions()
			.create(ChatCompletionCreateParams.builder().model(embedded).addUserMessageOfArrayOfContentParts(List.of(
					ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
						.imageUrl(ChatCompletionContentPartImage.ImageUrl.builder().url("https://example.org/a.png").build())
						.build()))).build()))
			.isInstanceOfSatisfying(BadRequestException.class, ex -> assertThat(ex.param()).hasValue("messages[0].content[0]"));
		assertThat(plans.usage(person).requests()).as("refused before anything was reserved").isZero();
	}

	@Test
	void embeddingsFromABackendAreMeteredOnThePlan() {
		var reply = openai.embeddings().create(EmbeddingCreateParams.builder()
			.model("fake-embed")
			.input(EmbeddingCreateParams.Input.ofArrayOfStrings(List.of("hello world", "good night moon")))
			.encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT)
			.build());
		assertThat(reply.data()).hasSize(2);
		assertThat(reply.data().get(1).embedding()).hasSize(8);
		assertThat(reply.model()).isEqualTo("fake-embed");
		assertThat(reply.usage().promptTokens()).isEqualTo(5);
		org.awaitility.Awaitility.await().until(() -> plans.usage(person).heldTokens() == 0);
		assertThat(plans.usage(person).usedTokens()).as("exactly what the backend reported").isEqualTo(5);
		assertThat(backend.requests.getLast().path("user").asText()).startsWith("familiar-");
		assertThatThrownBy(() -> openai.embeddings().create(EmbeddingCreateParams.builder().model("fake-model").input("hi").build()))
			.as("the backend's own refusal, with the field it named")
			.isInstanceOfSatisfying(BadRequestException.class, ex -> {
				assertThat(ex.param()).hasValue("model");
				assertThat(ex.code()).hasValue("backend_rejected");
				assertThat(ex.getMessage()).contains("is not an embedding model");
			});
	}

	@Test
	void familiarEmbedWorksWithNothingInstalled() throws Exception {
		var reply = openai.embeddings().create(EmbeddingCreateParams.builder()
			.model("familiar-embed")
			.input(EmbeddingCreateParams.Input.ofArrayOfStrings(List.of("The cat sits on the mat.", "A cat is sitting on a rug.",
					"Quarterly tax filing deadlines")))
			.encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT)
			.build());
		var vectors = reply.data().stream().map(e -> e.embedding()).toList();
		assertThat(vectors).hasSize(3).allSatisfy(vector -> assertThat(vector).hasSize(384));
		assertThat(dot(vectors.get(0), vectors.get(0))).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
		assertThat(dot(vectors.get(0), vectors.get(1))).isGreaterThan(dot(vectors.get(0), vectors.get(2)) + 0.2);
		assertThat(reply.usage().promptTokens()).isPositive();

		var base64 = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/embeddings"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"familiar-embed\",\"input\":\"hi\",\"encoding_format\":\"base64\"}"))
			.build(), HttpResponse.BodyHandlers.ofString());
		var encoded = json.readTree(base64.body()).path("data").get(0).path("embedding").asText();
		assertThat(java.util.Base64.getDecoder().decode(encoded)).hasSize(384 * 4);

		assertThatThrownBy(() -> openai.chat().completions().create(ChatCompletionCreateParams.builder()
			.model("familiar-embed").addUserMessage("hi").build()))
			.isInstanceOfSatisfying(BadRequestException.class, ex -> assertThat(ex.param()).hasValue("model"));
		assertThatThrownBy(() -> openai.embeddings().create(EmbeddingCreateParams.builder()
			.model("familiar-embed").input("hi").dimensions(64).build()))
			.isInstanceOfSatisfying(BadRequestException.class, ex -> assertThat(ex.param()).hasValue("dimensions"));
	}

	@Test
	void theLegacyCompletionsApiPassesThroughPlainAndStreamed() {
		var params = CompletionCreateParams.builder().model("house").prompt("Once upon a time").build();
		var plain = openai.completions().create(params);
		assertThat(plain.choices().getFirst().text()).as("16 tokens at most, OpenAI's default").startsWith("Hello! You said: Once");
		assertThat(plain.model()).isEqualTo("house");
		assertThat(backend.requests.getLast().path("max_tokens").asInt()).isEqualTo(16);
		var text = new StringBuilder();
		try (var stream = openai.completions().createStreaming(params.toBuilder().maxTokens(3).build())) {
			stream.stream().forEach(chunk -> chunk.choices().forEach(choice -> text.append(choice.text())));
		}
		assertThat(text.toString()).isEqualTo("Hello! You said:");
		assertThatThrownBy(() -> openai.completions().create(params.toBuilder().model("Llama-3.2-1B-Instruct-JQ4").build()))
			.isInstanceOfSatisfying(BadRequestException.class, ex -> assertThat(ex.param()).hasValue("model"));
	}

	private static double dot(List<Float> a, List<Float> b) {
		double sum = 0;
		for (int i = 0; i < a.size(); i++) {
			sum += a.get(i) * b.get(i);
		}
		return sum;
	}

	private JsonNode raw(String body, boolean stream) throws Exception {
		var response = HttpClient.newHttpClient().send(post(body), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return json.readTree(response.body());
	}

	private List<JsonNode> sse(String body) throws Exception {
		var response = HttpClient.newHttpClient().send(post(body), HttpResponse.BodyHandlers.ofLines());
		assertThat(response.statusCode()).isEqualTo(200);
		var chunks = new ArrayList<JsonNode>();
		var lines = response.body().toList();
		assertThat(lines).contains("data: [DONE]");
		for (var line : lines) {
			if (line.startsWith("data: {")) {
				chunks.add(json.readTree(line.substring(6)));
			}
		}
		return chunks;
	}

	private HttpRequest post(String body) {
		return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
			.build();
	}

	/** What LangChain, the Agents SDK and vLLM clients send between them, and then some. */
	static final String GOLDEN = """
			{
			  "model": "fake-model",
			  "messages": [
			    {"role": "system", "content": "You are a helpful agent. Use tools when they help."},
			    {"role": "user", "name": "ada", "content": [
			      {"type": "text", "text": "What's the weather where this photo was taken, and in 東京?"},
			      {"type": "image_url", "image_url": {"url": "https://example.org/photo.jpg", "detail": "high"}},
			      {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=", "format": "wav"}},
			      {"type": "file", "file": {"filename": "notes.txt", "file_data": "data:text/plain;base64,aGVsbG8="}}
			    ]},
			    {"role": "assistant", "content": null, "tool_calls": [
			      {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\\"city\\":\\"Oslo\\"}"}}
			    ]},
			    {"role": "tool", "tool_call_id": "call_1", "content": "12 °C, rain"},
			    {"role": "assistant", "content": "It is 12 °C in Oslo.", "refusal": null},
			    {"role": "function", "name": "legacy", "content": "old style"},
			    {"role": "user", "content": "And Tokyo?"}
			  ],
			  "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now", "strict": true,
			    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"], "additionalProperties": false}}}],
			  "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
			  "parallel_tool_calls": false,
			  "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
			    "schema": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}}},
			  "max_completion_tokens": 300,
			  "temperature": 0.2,
			  "top_p": 0.9,
			  "n": 1,
			  "stop": ["\\n\\nHuman:", "</answer>"],
			  "seed": 42,
			  "presence_penalty": 0.1,
			  "frequency_penalty": 0.2,
			  "logit_bias": {"50256": -100},
			  "logprobs": true,
			  "top_logprobs": 3,
			  "reasoning_effort": "medium",
			  "modalities": ["text"],
			  "prediction": {"type": "content", "content": "It is"},
			  "metadata": {"trace": "abc-123"},
			  "store": false,
			  "service_tier": "auto",
			  "web_search_options": {},
			  "user": "end-user-42",
			  "top_k": 40,
			  "min_p": 0.05,
			  "repetition_penalty": 1.1,
			  "chat_template_kwargs": {"enable_thinking": false},
			  "guided_json": {"type": "object"},
			  "extra_body_thing": [1, 2.5, true, null, "x"]
			}""";
}
