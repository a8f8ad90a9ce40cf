package org.familiar.compute.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one-pass scan of a backend's chunk or body, and the splice of Familiar's id and model, without Spring. */
class WireScanTests {

	private final ObjectMapper json = new ObjectMapper();

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	@Test
	void splicesOnlyTheTopLevelIdAndModelAndKeepsEveryOtherByte() throws IOException {
		var chunk = """
				{"id":"up-1","object":"chat.completion.chunk","created":7,"model":"qwen2.5:7b","system_fingerprint":"fp",\
				"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_9","function":{"name":"f","arguments":"{\\"a\\""}}]},\
				"logprobs":null,"finish_reason":null}],"x_vendor":{"id":"keep me","model":"and me"}}""";
		var scan = WireScan.of(bytes(chunk));
		var out = new String(scan.rewrite("chatcmpl-ours", "house"), StandardCharsets.UTF_8);
		assertThat(out).isEqualTo(chunk.replace("\"up-1\"", "\"chatcmpl-ours\"").replace("\"qwen2.5:7b\"", "\"house\""));
		assertThat(json.readTree(out).path("x_vendor").path("id").asText()).isEqualTo("keep me");
		assertThat(json.readTree(out).path("choices").get(0).path("delta").path("tool_calls").get(0).path("id").asText())
			.isEqualTo("call_9");
		assertThat(scan.text.toString()).isEmpty();
		assertThat(scan.hasChoices).isTrue();
	}

	@Test
	void modelBeforeIdNoIdAndNamesThatNeedEscaping() throws IOException {
		var scan = WireScan.of(bytes("{\"model\":\"m\",\"id\":\"i\",\"choices\":[]}"));
		assertThat(new String(scan.rewrite("new-id", "a\"b\\c ü"), StandardCharsets.UTF_8))
			.isEqualTo("{\"model\":\"a\\\"b\\\\c ü\",\"id\":\"new-id\",\"choices\":[]}");
		var embeddings = WireScan.of(bytes("{\"object\":\"list\",\"data\":[],\"model\":\"e\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}"));
		assertThat(new String(embeddings.rewrite("x", "familiar-embed"), StandardCharsets.UTF_8))
			.isEqualTo("{\"object\":\"list\",\"data\":[],\"model\":\"familiar-embed\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}");
		assertThat(embeddings.reportedUsage()).isTrue();
		assertThat(embeddings.promptTokens).isEqualTo(5);
		var nothing = WireScan.of(bytes("{\"choices\":[]}"));
		assertThat(nothing.rewrite("x", "y")).isEqualTo(bytes("{\"choices\":[]}"));
	}

	@Test
	void readsTextFinishUsageAndErrors() throws IOException {
		var plain = WireScan.of(bytes("""
				{"id":"a","choices":[{"index":0,"message":{"role":"assistant","content":"Hi 你好","reasoning_content":"hmm"},
				"finish_reason":"tool_calls"},{"index":1,"message":{"content":"second"},"finish_reason":"stop"}],
				"usage":{"prompt_tokens":12,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":1}}}"""));
		assertThat(plain.text.toString()).as("choice 0 only").isEqualTo("Hi 你好");
		assertThat(plain.finishReason).isEqualTo("tool_calls");
		assertThat(plain.promptTokens).isEqualTo(12);
		assertThat(plain.completionTokens).isEqualTo(3);
		var legacy = WireScan.of(bytes("{\"choices\":[{\"text\":\"once\",\"index\":0,\"finish_reason\":null}]}"));
		assertThat(legacy.text.toString()).isEqualTo("once");
		assertThat(legacy.finishReason).isNull();
		assertThat(WireScan.of(bytes("{\"error\":{\"message\":\"overloaded\",\"code\":503}}")).error).isEqualTo("overloaded");
		var odd = WireScan.of(bytes("{\"choices\":[null,{\"delta\":{\"content\":\"x\"}}],\"usage\":null,\"id\":5}"));
		assertThat(odd.hasChoices).isTrue();
		assertThat(odd.reportedUsage()).isFalse();
		assertThat(odd.rewrite("a", "b")).as("a non-string id is not Familiar's to replace").isEqualTo(
				bytes("{\"choices\":[null,{\"delta\":{\"content\":\"x\"}}],\"usage\":null,\"id\":5}"));
		assertThatThrownBy(() -> WireScan.of(bytes("[1,2]"))).isInstanceOf(IOException.class);
		assertThatThrownBy(() -> WireScan.of(bytes("{\"id\":"))).isInstanceOf(IOException.class);
	}
}
