package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseDeleteParams;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseRetrieveParams;
import com.openai.models.responses.ResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.PersonId;
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
 * The Responses API with the official openai-java SDK: create plain and streamed (typed events),
 * function tools across a tool loop, {@code previous_response_id} over responses kept for their
 * owner only, retrieve and delete; all metered on the person's plan.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ResponsesApiTests {

	static FakeModelServer backend;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = FakeModelServer.serve(registry, "fake", 0);
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
	PlansManagement plans;

	private PersonId person;

	private OpenAIClient openai;

	@BeforeEach
	void signUp() {
		person = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null).id();
		openai = client(person);
	}

	private OpenAIClient client(PersonId who) {
		return OpenAIOkHttpClient.builder()
			.baseUrl("http://localhost:" + port + "/v1")
			.apiKey(identity.issueToken(who, "agent", WorkloadClass.APP).secret())
			.maxRetries(0)
			.build();
	}

	private static String text(Response response) {
		var text = new StringBuilder();
		response.output().forEach(item -> item.message().ifPresent(message -> message.content()
			.forEach(content -> content.outputText().ifPresent(part -> text.append(part.text())))));
		return text.toString();
	}

	@Test
	void createsAResponseAndCarriesTheConversationOn() {
		var first = openai.responses().create(ResponseCreateParams.builder()
			.model(FakeModelServer.MODEL)
			.instructions("Be brief.")
			.input("hello there")
			.build());
		assertThat(first.id()).startsWith("resp_");
		assertThat(first.status()).hasValue(ResponseStatus.COMPLETED);
		assertThat(text(first)).isEqualTo("Hello! You said: hello there");
		assertThat(first.usage().orElseThrow().outputTokens()).isEqualTo(5);
		var upstream = backend.requests.getLast().path("messages");
		assertThat(upstream.get(0).path("role").asText()).isEqualTo("developer");
		assertThat(upstream.get(0).path("content").asText()).isEqualTo("Be brief.");

		var second = openai.responses().create(ResponseCreateParams.builder()
			.model(FakeModelServer.MODEL)
			.previousResponseId(first.id())
			.input("and again")
			.build());
		assertThat(text(second)).isEqualTo("Hello! You said: and again");
		assertThat(second.previousResponseId()).hasValue(first.id());
		var messages = backend.requests.getLast().path("messages");
		var contents = new ArrayList<String>();
		messages.forEach(m -> contents.add(m.path("role").asText() + ":" + m.path("content").asText()));
		assertThat(contents).as("the earlier turn, not its instructions").containsExactly("user:hello there",
				"assistant:Hello! You said: hello there", "user:and again");

		assertThat(openai.responses().retrieve(ResponseRetrieveParams.builder().responseId(first.id()).build()).id())
			.isEqualTo(first.id());
		var stranger = client(identity.addPerson("s" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null).id());
		assertThatThrownBy(() -> stranger.responses().retrieve(ResponseRetrieveParams.builder().responseId(first.id()).build()))
			.as("another person's response does not exist for them").isInstanceOf(NotFoundException.class);
		assertThatThrownBy(() -> stranger.responses().create(ResponseCreateParams.builder()
			.model(FakeModelServer.MODEL).previousResponseId(first.id()).input("steal").build()))
			.isInstanceOfSatisfying(BadRequestException.class, ex -> assertThat(ex.param()).hasValue("previous_response_id"));

		openai.responses().delete(ResponseDeleteParams.builder().responseId(first.id()).build());
		assertThatThrownBy(() -> openai.responses().retrieve(ResponseRetrieveParams.builder().responseId(first.id()).build()))
			.isInstanceOf(NotFoundException.class);
		org.awaitility.Awaitility.await().until(() -> plans.usage(person).heldTokens() == 0);
		assertThat(plans.usage(person).requests()).isEqualTo(2);
	}

	private static FunctionTool weather() {
		return FunctionTool.builder()
			.name("get_weather")
			.description("The weather in a city now")
			.strict(false)
			.parameters(FunctionTool.Parameters.builder()
				.putAdditionalProperty("type", JsonValue.from("object"))
				.putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
				.build())
			.build();
	}

	@Test
	void aToolLoopRunsThroughResponses() {
		var first = openai.responses().create(ResponseCreateParams.builder()
			.model(FakeModelServer.MODEL)
			.input("Oslo")
			.addTool(weather())
			.build());
		var call = first.output().stream().filter(item -> item.isFunctionCall()).findFirst().orElseThrow().asFunctionCall();
		assertThat(call.name()).isEqualTo("get_weather");
		assertThat(call.arguments()).isEqualTo("{\"city\":\"Oslo\"}");
		assertThat(backend.requests.getLast().path("tools").get(0).path("function").path("name").asText()).isEqualTo("get_weather");

		var second = openai.responses().create(ResponseCreateParams.builder()
			.model(FakeModelServer.MODEL)
			.previousResponseId(first.id())
			.inputOfResponse(List.of(ResponseInputItem.ofFunctionCallOutput(ResponseInputItem.FunctionCallOutput.builder()
				.callId(call.callId())
				.output("12 °C and rain")
				.build())))
			.addTool(weather())
			.build());
		assertThat(text(second)).isEqualTo("The tool said: 12 °C and rain");
		var messages = backend.requests.getLast().path("messages");
		assertThat(messages.get(1).path("tool_calls").get(0).path("id").asText()).isEqualTo(call.callId());
		assertThat(messages.get(2).path("role").asText()).isEqualTo("tool");
	}

	@Test
	void streamsTypedEvents() throws Exception {
		var deltas = new StringBuilder();
		var arguments = new StringBuilder();
		Response[] completed = new Response[1];
		var params = ResponseCreateParams.builder().model(FakeModelServer.MODEL).input("stream me").build();
		try (var stream = openai.responses().createStreaming(params)) {
			stream.stream().forEach(event -> {
				event.outputTextDelta().ifPresent(delta -> deltas.append(delta.delta()));
				event.completed().ifPresent(done -> completed[0] = done.response());
			});
		}
		assertThat(deltas.toString()).isEqualTo("Hello! You said: stream me");
		assertThat(completed[0]).isNotNull();
		assertThat(text(completed[0])).isEqualTo("Hello! You said: stream me");
		assertThat(completed[0].usage().orElseThrow().inputTokens()).isPositive();

		// The events' order and numbering on the wire.
		var raw = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
			.newBuilder(java.net.URI.create("http://localhost:" + port + "/v1/responses"))
			.header("Authorization", "Bearer " + identity.issueToken(person, "raw", WorkloadClass.APP).secret())
			.header("Content-Type", "application/json")
			.POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"fake-model\",\"input\":\"one two\",\"stream\":true}"))
			.build(), java.net.http.HttpResponse.BodyHandlers.ofLines()).body().toList();
		var types = raw.stream().filter(line -> line.startsWith("event: ")).map(line -> line.substring(7)).distinct().toList();
		assertThat(types).containsExactly("response.created", "response.in_progress", "response.output_item.added",
				"response.content_part.added", "response.output_text.delta", "response.output_text.done",
				"response.content_part.done", "response.output_item.done", "response.completed");
		var numbers = raw.stream().filter(line -> line.startsWith("data: "))
			.map(line -> line.replaceAll(".*\"sequence_number\":(\\d+).*", "$1")).map(Integer::parseInt).toList();
		assertThat(numbers).isSorted().doesNotHaveDuplicates().startsWith(0);

		try (var stream = openai.responses().createStreaming(ResponseCreateParams.builder()
			.model(FakeModelServer.MODEL).input("Bergen").addTool(weather()).build())) {
			stream.stream().forEach(event -> {
				event.functionCallArgumentsDelta().ifPresent(delta -> arguments.append(delta.delta()));
				event.completed().ifPresent(done -> completed[0] = done.response());
			});
		}
		assertThat(arguments.toString()).isEqualTo("{\"city\":\"Bergen\"}");
		assertThat(completed[0].output().stream().filter(item -> item.isFunctionCall()).findFirst().orElseThrow()
			.asFunctionCall().arguments()).isEqualTo("{\"city\":\"Bergen\"}");
	}

	@Test
	void builtInToolsAreRefusedNamingTheTool() {
		assertThatThrownBy(() -> openai.responses().create(ResponseCreateParams.builder()
			.model(FakeModelServer.MODEL)
			.input("hi")
			.addTool(com.openai.models.responses.WebSearchTool.builder()
				.type(com.openai.models.responses.WebSearchTool.Type.WEB_SEARCH)
				.build())
			.build()))
			.isInstanceOfSatisfying(BadRequestException.class, ex -> assertThat(ex.param()).hasValue("tools[0].type"));
	}
}
