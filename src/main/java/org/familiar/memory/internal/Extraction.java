package org.familiar.memory.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.FinishReason;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.PersonId;
import org.familiar.memory.InvalidMemoryException;
import org.familiar.memory.Memory;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemoryNotFoundException;
import org.familiar.memory.MemorySettings;
import org.familiar.memory.MemorySource;
import org.familiar.plans.PlansManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Async;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Learns memories from finished exchanges: asks a model, as {@code batch} work billed to the person,
 * which lasting facts or preferences the exchange revealed, given the memories already related to
 * it, and applies its answer — add (merged with near-duplicates), replace a contradicted memory, or
 * forget one the person asked to forget.
 *
 * <p>A refusal (quota, capacity, plan) or a failed backend drops that exchange's extraction: the
 * reply is not affected and nothing is half-written.
 */
@Component
class Extraction {

	private static final Logger log = LoggerFactory.getLogger(Extraction.class);

	/** The start of the extraction prompt (test stand-ins for model servers recognise it). */
	public static final String INSTRUCTIONS = "You update the memory Familiar keeps about its user.";

	private static final String PROMPT = INSTRUCTIONS + """
			 Read the exchange and the known memories, and reply with JSON only, in this form:
			{"memories": [{"op": "add", "content": "...", "kind": "fact"}, {"op": "replace", "ref": "m1", "content": "...", "kind": "preference"}, {"op": "forget", "ref": "m2"}]}
			Rules: keep only lasting facts about the user, or how they like to be answered (kind "preference"), written as short third-person statements such as "Is vegetarian" or "Prefers explanations as if they were five". Use "replace" when the exchange contradicts or updates a known memory; "forget" only when the user asks to forget something. Nothing worth keeping: {"memories": []}.""";

	private static final int MAX_OPERATIONS = 10;

	private final MemoryManagement memory;

	private final ComputeManagement compute;

	private final PlansManagement plans;

	private final MemorySettings settings;

	private final ObjectMapper json;

	private final java.time.Clock clock;

	Extraction(MemoryManagement memory, ComputeManagement compute, PlansManagement plans, MemorySettings settings,
			ObjectMapper json, java.time.Clock clock) {
		this.clock = clock;
		this.memory = memory;
		this.compute = compute;
		this.plans = plans;
		this.settings = settings;
		this.json = json;
	}

	/**
	 * Not an {@code @ApplicationModuleListener}: that would hold a database connection in a
	 * transaction for as long as the model takes. The registry marks the publication complete when
	 * this returns; a crash before leaves it for {@link LearningResumption}.
	 */
	@Async
	@TransactionalEventListener
	void on(ExchangeToLearnFrom exchange) {
		var caller = new Caller(new PersonId(exchange.person()), exchange.username(), null, WorkloadClass.BATCH);
		// Batch work: it waits for the class's clean or cheap hours where a policy says so (familiar.energy.policies.batch).
		if (!compute.awaitEnergyWindow(WorkloadClass.BATCH, clock.instant(), "memory extraction", () -> false)) {
			return;
		}
		var related = memory.related(caller, exchange.user(), 8, 0.5);
		var refs = new LinkedHashMap<String, Memory>();
		var known = new StringBuilder();
		for (var scored : related) {
			var ref = "m" + (refs.size() + 1);
			refs.put(ref, scored.memory());
			known.append(ref).append(": ").append(scored.memory().content()).append('\n');
		}
		var prompt = "Known memories:\n" + (known.isEmpty() ? "(none)\n" : known) + "\nExchange:\nUser: "
				+ exchange.user() + "\nFamiliar: " + exchange.reply();
		var request = new ChatRequest(org.familiar.compute.RequestIds.next("memory-"), exchange.person().toString(), WorkloadClass.BATCH,
				exchange.model(), List.of(ChatMessage.system(PROMPT), ChatMessage.user(prompt)),
				settings.extraction().maxTokens(), 0.0, null, List.of());
		String answer;
		try {
			var result = plans.run(caller, request, text -> {
			});
			if (result.finishReason() == FinishReason.CANCELLED) {
				return;
			}
			answer = result.text();
		}
		catch (RuntimeException refusedOrFailed) {
			log.info("Skipped learning from an exchange of {}: {}", exchange.username(), refusedOrFailed.getMessage());
			return;
		}
		apply(caller, exchange.conversation(), answer, refs);
	}

	/** Applies the model's operations; anything malformed is skipped, never half-applied. */
	void apply(Caller caller, String conversation, String answer, Map<String, Memory> refs) {
		var owner = new Caller(caller.person(), caller.username(), null, WorkloadClass.INTERACTIVE);
		for (var operation : operations(answer)) {
			var content = operation.path("content").asText("").strip();
			var kind = kind(operation.path("kind").asText(""));
			var target = refs.get(operation.path("ref").asText(""));
			try {
				switch (operation.path("op").asText("")) {
					case "add" -> {
						if (!content.isEmpty()) {
							memory.remember(owner, content, kind, MemorySource.CONVERSATION, conversation, null);
						}
					}
					case "replace" -> {
						if (target != null && !content.isEmpty()) {
							memory.edit(owner, target.id(), content, kind, null);
						}
					}
					case "forget" -> {
						if (target != null) {
							memory.forget(owner, target.id());
						}
					}
					default -> log.debug("Ignored memory operation {}", operation);
				}
			}
			catch (InvalidMemoryException | MemoryNotFoundException skipped) {
				log.debug("Skipped memory operation {}: {}", operation, skipped.getMessage());
			}
		}
	}

	private List<JsonNode> operations(String answer) {
		int start = answer.indexOf('{');
		int end = answer.lastIndexOf('}');
		if (start < 0 || end <= start) {
			return List.of();
		}
		try {
			var operations = new ArrayList<JsonNode>();
			for (var node : json.readTree(answer.substring(start, end + 1)).path("memories")) {
				if (node.isObject() && operations.size() < MAX_OPERATIONS) {
					operations.add(node);
				}
			}
			return operations;
		}
		catch (com.fasterxml.jackson.core.JsonProcessingException malformed) {
			log.debug("The extraction model's answer was not JSON: {}", malformed.getOriginalMessage());
			return List.of();
		}
	}

	private static MemoryKind kind(String id) {
		return "preference".equalsIgnoreCase(id.strip()) ? MemoryKind.PREFERENCE : MemoryKind.FACT;
	}
}
