package org.familiar.plans;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * When the server starts, settles what an earlier run on this node left reserved. Only the server
 * does this: a CLI command running beside a live server must not touch its reservations.
 */
@Component
@ConditionalOnWebApplication
class Reconciliation {

	private final PlansManagement plans;

	Reconciliation(PlansManagement plans) {
		this.plans = plans;
	}

	@EventListener(ApplicationReadyEvent.class)
	void reconcile() {
		plans.reconcile();
	}
}
