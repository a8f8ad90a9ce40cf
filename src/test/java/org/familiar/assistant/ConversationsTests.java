package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.UUID;
import org.familiar.compute.BackendFailedException;
import org.familiar.compute.CompletionFinished;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.IdentityManagement;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.event.ApplicationEvents;
import org.springframework.test.context.event.RecordApplicationEvents;

/** Conversations are kept, whatever happens to the reply, and only their owner sees them. */
@SpringBootTest
@RecordApplicationEvents
class ConversationsTests {

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

	@Autowired
	AssistantManagement assistant;

	@Autowired
	IdentityManagement identity;

	@Autowired
	ApplicationEvents events;

	private Caller someone() {
		var person = identity.addPerson("c" + UUID.randomUUID().toString().substring(0, 8), "long password", false, null);
		return new Caller(person.id(), person.username(), null, WorkloadClass.INTERACTIVE);
	}

	@Test
	void savesBothSidesAndSendsTheHistoryBack() {
		var me = someone();
		var conversation = assistant.start(me, FakeModelServer.MODEL, "What is a familiar?");
		var pieces = new ArrayList<String>();
		var reply = assistant.reply(me, conversation.id(), FakeModelServer.MODEL, "What is a familiar?", pieces::add);
		assertThat(String.join("", pieces)).isEqualTo("Hello! You said: What is a familiar?").isEqualTo(reply.content());
		assistant.reply(me, conversation.id(), FakeModelServer.MODEL, "And again", text -> {
		});

		var messages = assistant.messages(me, conversation.id());
		assertThat(messages).extracting(StoredMessage::role).containsExactly("user", "assistant", "user", "assistant");
		assertThat(messages).extracting(StoredMessage::status).containsOnly(StoredMessage.COMPLETE);
		assertThat(assistant.conversations(me)).extracting(Conversation::title).containsExactly("What is a familiar?");
		// The chat replies; memory's extraction after each reply is batch work of its own.
		assertThat(events.stream(CompletionFinished.class)
			.filter(e -> e.requester().equals(me.person().toString()) && e.workload() == WorkloadClass.INTERACTIVE))
			.hasSize(2)
			.allMatch(e -> e.outcome() == CompletionFinished.Outcome.COMPLETED && e.usage().completionTokens() > 0);
	}

	@Test
	void aBackendFailingMidReplyKeepsThePartialReplyMarkedFailed() {
		var me = someone();
		var conversation = assistant.start(me, FakeModelServer.MODEL, "break");
		assertThatThrownBy(() -> assistant.reply(me, conversation.id(), FakeModelServer.MODEL, "[fail-mid] please", t -> {
		})).isInstanceOf(BackendFailedException.class);

		var messages = assistant.messages(me, conversation.id());
		assertThat(messages).hasSize(2);
		assertThat(messages.get(0).content()).isEqualTo("[fail-mid] please");
		var reply = messages.get(1);
		assertThat(reply.status()).isEqualTo(StoredMessage.FAILED);
		assertThat(reply.content()).isEqualTo("Hello! You said:");
		assertThat(reply.detail()).contains("'fake'");
	}

	@Test
	void aReplyTheClientStopsIsKeptAsStopped() {
		var me = someone();
		var conversation = assistant.start(me, FakeModelServer.MODEL, "stop me");
		var count = new int[1];
		var reply = assistant.reply(me, conversation.id(), FakeModelServer.MODEL, "one two three four five", text -> {
			if (++count[0] == 2) {
				throw new IOException("client went away");
			}
		});
		assertThat(reply.status()).isEqualTo(StoredMessage.STOPPED);
		var saved = assistant.messages(me, conversation.id()).get(1);
		assertThat(saved.status()).isEqualTo(StoredMessage.STOPPED);
		assertThat(saved.content()).isEqualTo("Hello! You");
	}

	@Test
	void nobodySeesAnotherPersonsConversations() {
		var me = someone();
		var other = someone();
		var mine = assistant.start(me, FakeModelServer.MODEL, "private");
		assertThat(assistant.conversations(other)).isEmpty();
		assertThatThrownBy(() -> assistant.messages(other, mine.id())).isInstanceOf(ConversationNotFoundException.class);
		assertThatThrownBy(() -> assistant.reply(other, mine.id(), FakeModelServer.MODEL, "hi", t -> {
		})).isInstanceOf(ConversationNotFoundException.class);
		assertThat(assistant.delete(other, mine.id())).isFalse();
		assertThat(assistant.conversations(me)).hasSize(1);
		assertThat(assistant.delete(me, mine.id())).isTrue();
		assertThat(assistant.conversations(me)).isEmpty();
	}
}
