package org.familiar.assistant.api;

import java.util.List;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ComputeManagement;
import org.familiar.identity.Caller;
import org.familiar.identity.ScopeMissingException;
import org.familiar.identity.Scopes;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.Recall;
import org.familiar.plans.PlansManagement;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Component;

/**
 * How a {@code /v1} chat request runs, the same for chat completions and responses: the caller and
 * their scope, the model and the fields its backends can honour (404 / 400 before memory is
 * searched), memory (so the reservation covers what it adds), then the one pipeline.
 */
@Component
class ChatAdmission {

	private final ComputeManagement compute;

	private final PlansManagement plans;

	private final MemoryManagement memory;

	ChatAdmission(ComputeManagement compute, PlansManagement plans, MemoryManagement memory) {
		this.compute = compute;
		this.plans = plans;
		this.memory = memory;
	}

	/** A request ready to run, and the memories it carries (to be marked used once it ran). */
	record Admitted(Caller caller, ChatRequest request, Recall recall) {
	}

	/** The caller of this {@code /v1} request, with the assistant scope. */
	static Caller caller() {
		// From the security context itself: /v1 skips the servlet-API wrapper that getUserPrincipal() needs.
		var caller = Caller.of(SecurityContextHolder.getContext().getAuthentication())
			.orElseThrow(() -> new InsufficientAuthenticationException("No caller for this request"));
		ScopeMissingException.require(caller, Scopes.ASSISTANT);
		return caller;
	}

	/**
	 * @param withMemory whether memory and personality may be added (the client did not switch them off)
	 */
	Admitted admit(Caller caller, ChatBody body, String requestId, boolean withMemory) {
		var parsed = new ChatRequest(requestId, caller.person().toString(), caller.workload(), body.model, body.messages,
				body.maxTokens, body.temperature, null, List.of());
		compute.check(parsed.withPassThrough(body.passThrough(Recall.NONE)));
		var recall = withMemory ? memory.recall(caller, parsed.messages()) : Recall.NONE;
		var request = parsed.withMessages(recall.prependTo(parsed.messages())).withPassThrough(body.passThrough(recall));
		return new Admitted(caller, request, recall);
	}

	/**
	 * Runs it through the one pipeline ({@link PlansManagement#run}: reserve, schedule, run, settle);
	 * the memories it carried are marked used however it ends.
	 */
	org.familiar.compute.ChatResult run(Admitted admitted, org.familiar.compute.TokenSink sink) {
		try {
			return plans.run(admitted.caller(), admitted.request(), sink);
		}
		finally {
			memory.used(admitted.caller(), admitted.recall());
		}
	}
}
