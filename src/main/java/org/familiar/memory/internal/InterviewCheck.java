package org.familiar.memory.internal;

import java.util.List;
import java.util.Locale;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.FinishReason;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.PersonId;
import org.familiar.memory.Interview;
import org.familiar.memory.MemoryId;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemoryNotFoundException;
import org.familiar.plans.PlansManagement;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Async;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Writes an interview answer down as a memory: a model reads the question and the answer, as
 * {@code batch} work on the person's plan, and says it as one short statement ("Wants to be called
 * Sam.", "Works as a nurse.") or that it does not answer the question (the memory is then
 * forgotten). Until then, and whenever no model can do it, the answer stays as said; a memory the
 * person has changed meanwhile is left alone.
 */
@Component
class InterviewCheck {

	private static final Logger log = LoggerFactory.getLogger(InterviewCheck.class);

	/** The start of the prompt (test stand-ins for model servers recognise it). */
	public static final String INSTRUCTIONS = "You write down what a person told Familiar in its onboarding interview.";

	private static final String PROMPT = INSTRUCTIONS + " Reply with one short third-person statement of what the answer "
			+ "tells about them, such as \"Wants to be called Sam.\" or \"Works as a nurse.\", and nothing else; if the answer "
			+ "does not answer the question, reply SKIP.";

	private final MemoryManagement memory;

	private final PlansManagement plans;

	InterviewCheck(MemoryManagement memory, PlansManagement plans) {
		this.memory = memory;
		this.plans = plans;
	}

	@Async
	@TransactionalEventListener
	void on(InterviewAnswer answer) {
		var caller = new Caller(new PersonId(answer.person()), answer.username(), null, WorkloadClass.BATCH);
		var question = Interview.QUESTIONS.get(answer.step());
		var request = new ChatRequest(org.familiar.compute.RequestIds.next("interview-"), answer.person().toString(),
				WorkloadClass.BATCH, answer.model(), List.of(ChatMessage.system(PROMPT),
						ChatMessage.user("Question: " + question.text() + "\nAnswer: " + answer.answer())), 60, 0.0, null, List.of());
		String written;
		try {
			var result = plans.run(caller, request, text -> {
			});
			if (result.finishReason() == FinishReason.CANCELLED) {
				return;
			}
			written = result.text();
		}
		catch (RuntimeException refusedOrFailed) {
			log.info("Interview answer of {} kept as said: {}", answer.username(), refusedOrFailed.getMessage());
			return;
		}
		var id = new MemoryId(answer.memory());
		try {
			var kept = memory.memory(caller, id);
			if (!kept.content().endsWith("\u201c" + answer.answer() + "\u201d")) {
				return;
			}
			var statement = statement(written);
			if (statement == null) {
				return;
			}
			if (statement.equals("SKIP")) {
				memory.forget(caller, id);
			}
			else {
				memory.edit(caller, id, statement, null, null);
			}
		}
		catch (MemoryNotFoundException forgotten) {
			// The person forgot it meanwhile.
		}
	}

	/** The model's statement, SKIP, or none if what it wrote is not one short statement. */
	static @Nullable String statement(String written) {
		var line = written.strip();
		if (line.toUpperCase(Locale.ROOT).replaceAll("[^A-Z]", "").equals("SKIP")) {
			return "SKIP";
		}
		line = line.replaceAll("^[\"'\u201c]+|[\"'\u201d]+$", "").strip();
		if (line.isEmpty() || line.length() > 200 || line.contains("\n") || line.contains("Question:") || line.contains("Answer:")) {
			return null;
		}
		return line;
	}
}
