package org.familiar.compute;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import java.io.IOException;
import java.util.UUID;
import org.familiar.identity.IdentityManagement;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.NagleModelServer;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A model server that leaves Nagle's algorithm on (llama.cpp's default), on pooled connections: a
 * plain request stays plain upstream (a streamed upstream reply is what meets the delayed-ACK stall
 * on every small write), streamed requests are relayed whole, and connections are reused. How long
 * each takes, against nginx on the same stand-in, is {@code bench/gateway}'s Nagle row.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class NagleBackendTests {

	static NagleModelServer backend;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = new NagleModelServer(0);
		registry.add("familiar.backends.nagle.url", backend::baseUrl);
		registry.add("familiar.backends.nagle.max-concurrent", () -> "1");
	}

	@AfterAll
	static void stop() throws IOException {
		backend.close();
	}

	@LocalServerPort
	int port;

	@Autowired
	IdentityManagement identity;

	@Test
	void plainAndStreamedRequestsOnPooledConnections() {
		var person = identity.addPerson("p" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		var openai = OpenAIOkHttpClient.builder()
			.baseUrl("http://localhost:" + port + "/v1")
			.apiKey(identity.issueToken(person.id(), "t", WorkloadClass.APP).secret())
			.maxRetries(0)
			.build();
		int connections = backend.connections.get();
		for (int i = 0; i < 20; i++) {
			var params = ChatCompletionCreateParams.builder().model(FakeModelServer.MODEL).addUserMessage("plain " + i).build();
			assertThat(openai.chat().completions().create(params).choices().getFirst().message().content())
				.hasValue("Hello! You said: plain " + i);
		}
		assertThat(backend.streamed.get()).as("no plain request was streamed upstream").isZero();
		for (int i = 0; i < 20; i++) {
			var text = new StringBuilder();
			var params = ChatCompletionCreateParams.builder().model(FakeModelServer.MODEL).addUserMessage("streamed " + i).build();
			try (var stream = openai.chat().completions().createStreaming(params)) {
				stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(text::append)));
			}
			assertThat(text.toString()).isEqualTo("Hello! You said: streamed " + i);
		}
		assertThat(backend.streamed.get()).isEqualTo(20);
		assertThat(backend.connections.get() - connections).as("one slot, one pooled connection").isLessThanOrEqualTo(1);
	}
}
