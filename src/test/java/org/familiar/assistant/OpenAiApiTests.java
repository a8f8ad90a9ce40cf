package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.models.Model;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.UUID;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.IdentityManagement;
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

/** The OpenAI-compatible API end to end, called with the official openai-java SDK on a real port. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class OpenAiApiTests {

	static FakeModelServer backend;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = FakeModelServer.serve(registry, "fake", 0);
		registry.add("familiar.backends.down.url", () -> "http://127.0.0.1:9/v1");
		registry.add("familiar.backends.down.models", () -> "ghost-model");
		registry.add("familiar.assistant.max-request-size", () -> "64KB");
	}

	@AfterAll
	static void stopBackend() {
		backend.close();
	}

	@LocalServerPort
	int port;

	@Autowired
	IdentityManagement identity;

	private final ObjectMapper json = new ObjectMapper();

	private final HttpClient http = HttpClient.newHttpClient();

	private String token;

	private OpenAIClient openai;

	@BeforeEach
	void signUp() {
		var person = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		token = identity.issueToken(person.id(), "test", WorkloadClass.INTERACTIVE).secret();
		openai = client(token);
	}

	private OpenAIClient client(String apiKey) {
		return OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1").apiKey(apiKey).maxRetries(0).build();
	}

	private static ChatCompletionCreateParams ask(String model, String text) {
		return ChatCompletionCreateParams.builder().model(model).addUserMessage(text).build();
	}

	@Test
	void listsTheModelsOfEveryBackend() {
		var ids = openai.models().list().data().stream().map(Model::id).toList();
		assertThat(ids).contains(FakeModelServer.MODEL, "ghost-model", "Llama-3.2-1B-Instruct-JQ4");
	}

	@Test
	void retrievesOneModelAndSaysWhichAreNotServed() {
		var model = openai.models().retrieve(com.openai.models.models.ModelRetrieveParams.builder().model(FakeModelServer.MODEL).build());
		assertThat(model.id()).isEqualTo(FakeModelServer.MODEL);
		assertThat(model.ownedBy()).as("the backend serving it, as the list says").isEqualTo(openai.models().list().data().stream()
			.filter(m -> m.id().equals(FakeModelServer.MODEL)).findFirst().orElseThrow().ownedBy());
		assertThatThrownBy(() -> openai.models().retrieve(com.openai.models.models.ModelRetrieveParams.builder().model("no-such-model").build()))
			.isInstanceOfSatisfying(NotFoundException.class, ex -> assertThat(ex.code()).contains("model_not_found"));
	}

	@Test
	void completesWithoutStreaming() {
		var completion = openai.chat().completions().create(ask(FakeModelServer.MODEL, "hi"));
		assertThat(completion.choices().getFirst().message().content()).contains("Hello! You said: hi");
		assertThat(completion.model()).isEqualTo(FakeModelServer.MODEL);
		assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(4);
	}

	@Test
	void streamsTokenByTokenWithUsage() {
		var params = ask(FakeModelServer.MODEL, "stream me please").toBuilder()
			.streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
			.build();
		var pieces = new ArrayList<String>();
		var usage = new long[1];
		try (var stream = openai.chat().completions().createStreaming(params)) {
			stream.stream().forEach(chunk -> {
				chunk.choices().forEach(choice -> choice.delta().content().filter(s -> !s.isEmpty()).ifPresent(pieces::add));
				chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
			});
		}
		assertThat(pieces).containsExactly("Hello!", " You", " said:", " stream", " me", " please");
		assertThat(usage[0]).isEqualTo(6);
	}

	@Test
	void refusesMissingInvalidAndRevokedTokens() throws Exception {
		var missing = post("/v1/chat/completions", null, "{}");
		assertThat(missing.statusCode()).isEqualTo(401);
		assertThat(error(missing).path("code").asText()).isEqualTo("missing_api_key");

		assertThatThrownBy(() -> client("fam_not-a-real-token").models().list()).isInstanceOf(UnauthorizedException.class);

		var person = identity.person(identity.people().getFirst().username());
		var issued = identity.issueToken(person.id(), "short-lived", WorkloadClass.INTERACTIVE);
		assertThat(client(issued.secret()).models().list().data()).isNotEmpty();
		identity.revokeToken(person.id(), issued.token().id());
		var revoked = post("/v1/chat/completions", issued.secret(), "{}");
		assertThat(revoked.statusCode()).isEqualTo(401);
		assertThat(error(revoked).path("code").asText()).isEqualTo("invalid_api_key");
	}

	@Test
	void malformedJsonIsA400InOpenAiShape() throws Exception {
		var response = post("/v1/chat/completions", token, "{\"model\": \"fake-model\", \"messages\": [");
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(error(response).path("type").asText()).isEqualTo("invalid_request_error");
		assertThat(error(response).path("message").asText()).contains("parse the JSON body");
	}

	@Test
	void missingMessagesIsA400NamingTheParameter() throws Exception {
		var response = post("/v1/chat/completions", token, "{\"model\": \"fake-model\"}");
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(error(response).path("param").asText()).isEqualTo("messages");
	}

	@Test
	void unknownModelIsA404ModelNotFound() {
		assertThatThrownBy(() -> openai.chat().completions().create(ask("no-such-model", "hi")))
			.isInstanceOfSatisfying(NotFoundException.class, ex -> assertThat(ex.code()).contains("model_not_found"));
	}

	@Test
	void oversizeBodyIsA413() throws Exception {
		var big = "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(70_000) + "\"}]}";
		var response = post("/v1/chat/completions", token, big);
		assertThat(response.statusCode()).isEqualTo(413);
		assertThat(error(response).path("code").asText()).isEqualTo("request_too_large");
	}

	@Test
	void unreachableBackendIsA503NamingIt() {
		assertThatThrownBy(() -> openai.chat().completions().create(ask("ghost-model", "hi")))
			.isInstanceOfSatisfying(OpenAIServiceException.class, ex -> {
				assertThat(ex.statusCode()).isEqualTo(503);
				assertThat(ex.getMessage()).contains("'down'");
			});
	}

	@Test
	void backendErrorIsA502NamingIt() {
		assertThatThrownBy(() -> openai.chat().completions().create(ask(FakeModelServer.MODEL, "[fail-500]")))
			.isInstanceOfSatisfying(OpenAIServiceException.class, ex -> {
				assertThat(ex.statusCode()).isEqualTo(502);
				assertThat(ex.getMessage()).contains("'fake'");
			});
	}

	@Test
	void backendDyingMidStreamEndsTheStreamWithAnErrorAfterThePartialReply() {
		var pieces = new ArrayList<String>();
		assertThatThrownBy(() -> {
			try (var stream = openai.chat().completions().createStreaming(ask(FakeModelServer.MODEL, "x [fail-mid] a b c"))) {
				stream.stream()
					.forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().filter(s -> !s.isEmpty()).ifPresent(pieces::add)));
			}
		}).hasMessageContaining("mid-reply");
		assertThat(pieces).containsExactly("Hello!", " You", " said:");
	}

	@Test
	void embeddedEngineOfflineSaysHowToFixIt() {
		assertThatThrownBy(() -> openai.chat().completions().create(ask("Llama-3.2-1B-Instruct-JQ4", "hi")))
			.isInstanceOfSatisfying(OpenAIServiceException.class, ex -> {
				assertThat(ex.statusCode()).isEqualTo(503);
				assertThat(ex.getMessage()).contains("familiar.backends.NAME.url").contains("place the model's files");
			});
	}

	@Test
	void clientThatDisconnectsCancelsTheUpstreamRequest() throws Exception {
		int cancelledBefore = backend.cancelled.get();
		var body = "{\"model\":\"fake-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"[slow] one two three four five six seven eight\"}]}";
		var request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build();
		var response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
		try (var in = response.body()) {
			var first = new byte[64];
			assertThat(in.read(first)).isPositive();
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> backend.cancelled.get() > cancelledBefore);
	}

	private HttpResponse<String> post(String path, String bearer, String body) throws Exception {
		var builder = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body));
		if (bearer != null) {
			builder.header("Authorization", "Bearer " + bearer);
		}
		return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
	}

	private JsonNode error(HttpResponse<String> response) throws IOException {
		var error = json.readTree(response.body()).path("error");
		assertThat(error.path("message").asText()).isNotBlank();
		return error;
	}
}
