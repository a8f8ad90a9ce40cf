package org.familiar.compute;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.familiar.testing.TestHome;
import org.familiar.testing.TinyModel;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The embedded engine runs a (generated, tiny) model that sits in the models folder. */
@SpringBootTest
class EmbeddedEngineTests {

	static Path models;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		models = Files.createTempDirectory("familiar-models");
		TinyModel.write(models.resolve("test_tiny-llama"), 64, 2);
		registry.add("familiar.embedded.model", () -> "test/tiny-llama");
		registry.add("familiar.embedded.models-dir", models::toString);
	}

	@Autowired
	ComputeManagement compute;

	private static ChatRequest ask(String text, Integer maxTokens) {
		return new ChatRequest(UUID.randomUUID().toString(), "someone", WorkloadClass.INTERACTIVE, "tiny-llama",
				List.of(ChatMessage.user(text)), maxTokens, 0.0, null, List.of());
	}

	@Test
	void offersTheModelFoundInTheModelsFolder() {
		assertThat(compute.models()).anySatisfy(model -> {
			assertThat(model.id()).isEqualTo("tiny-llama");
			assertThat(model.backend()).isEqualTo("embedded");
			assertThat(model.status()).isIn("downloaded", "ready");
		});
	}

	@Test
	void generatesAndStreamsTokensCountingThem() {
		var pieces = new ArrayList<String>();
		var result = compute.chat(ask("hello there", 12), pieces::add);
		assertThat(result.backend()).isEqualTo("embedded");
		assertThat(result.usage().reported()).isTrue();
		assertThat(result.usage().completionTokens()).isBetween(1, 12);
		assertThat(result.usage().promptTokens()).isPositive();
		assertThat(String.join("", pieces)).isEqualTo(result.text());
		assertThat(result.finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP);
		assertThat(compute.models()).anySatisfy(model -> assertThat(model.status()).isEqualTo("ready"));
	}

	@Test
	void stopsGeneratingWhenTheCallerGoesAway() {
		var seen = new int[1];
		var result = compute.chat(ask("go on and on", 200), piece -> {
			if (++seen[0] == 3) {
				throw new IOException("gone");
			}
		});
		assertThat(result.finishReason()).isEqualTo(FinishReason.CANCELLED);
		assertThat(seen[0]).isEqualTo(3);
	}
}
