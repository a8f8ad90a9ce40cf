package org.familiar.plans.web;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.Scopes;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.familiar.plans.PlansManagement;
import org.jspecify.annotations.Nullable;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/usage}: the caller's usage in their plan's current window (bearer token or session). */
@RestController
class UsageApi {

	private final PlansManagement plans;

	UsageApi(PlansManagement plans) {
		this.plans = plans;
	}

	/**
	 * The wire shape; {@code remaining_tokens} is -1 and {@code token_budget} 0 when the plan has no limit.
	 */
	@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
	record UsageResponse(String plan, String window, long tokenBudget, long usedTokens, long heldTokens,
			long remainingTokens, long requests, double energyWh, @Nullable Instant resetsAt, boolean ownBudget) {
	}

	/** An app needs {@code familiar.assistant} to see the person's usage. */
	@GetMapping("/api/usage")
	ResponseEntity<?> usage(@AuthenticationPrincipal CallerPrincipal me) {
		if (!me.caller().allows(Scopes.ASSISTANT)) {
			return ResponseEntity.status(HttpStatus.FORBIDDEN)
				.body(ProblemDetail.forStatusAndDetail(HttpStatus.FORBIDDEN, "This app was not allowed 'familiar.assistant'."));
		}
		var usage = plans.usage(me.caller().person());
		return ResponseEntity.ok(new UsageResponse(usage.plan(), usage.window().toString(), usage.tokenBudget(), usage.usedTokens(),
				usage.heldTokens(), usage.remainingTokens(), usage.requests(), usage.energyWh(), usage.resetsAt(),
				usage.ownBudget()));
	}
}
