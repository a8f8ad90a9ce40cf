package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.WorkloadClass;
import org.familiar.plans.PlansManagement;
import org.familiar.testing.RunningFamiliar;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * A client that leaves a plain (not streamed) request: the backend's work stops, the slot and the
 * reservation are freed at once, and what was produced is settled, rather than everything staying
 * held until the model finishes (up to the backend timeout).
 */
class AbandonedRequestsTests extends RunningFamiliar {

	@Autowired
	ComputeManagement compute;

	@Autowired
	PlansManagement plans;

	@Test
	void aPlainRequestWhoseClientLeavesIsCancelledAndSettled() throws Exception {
		var person = identity.addPerson("leaver", "correct horse", false, null);
		var token = identity.issueToken(person.id(), "t", WorkloadClass.APP).secret();
		// 200 ms a token for 23 tokens: the whole reply would take about 4.6 s.
		var body = """
				{"model":"fake-model","messages":[{"role":"user","content":"[slow] one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"}]}""";
		int started = backend.completions.get();
		int finished = backend.finished.get();
		try (var socket = new Socket("localhost", port)) {
			OutputStream out = socket.getOutputStream();
			out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + token
					+ "\r\nContent-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
					+ "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
			out.flush();
			await().atMost(Duration.ofSeconds(5)).until(() -> backend.completions.get() > started && running() == 1);
			assertThat(plans.usage(person.id()).heldTokens()).as("reserved while it runs").isPositive();
		}
		long left = System.nanoTime();
		await().atMost(Duration.ofSeconds(2)).until(() -> backend.cancelled.get() == 1);
		await().atMost(Duration.ofSeconds(2)).until(() -> running() == 0 && plans.usage(person.id()).heldTokens() == 0);
		assertThat(Duration.ofNanos(System.nanoTime() - left)).isLessThan(Duration.ofSeconds(3));
		assertThat(backend.finished.get()).as("the model did not finish the reply").isEqualTo(finished);
		var usage = plans.usage(person.id());
		assertThat(usage.requests()).isEqualTo(1);
		assertThat(usage.usedTokens()).as("the prompt and the tokens produced before the client left").isPositive();
	}

	private int running() {
		return compute.capacity().stream().mapToInt(backend -> backend.load().running()).sum();
	}
}
