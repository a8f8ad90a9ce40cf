package org.familiar.memory.internal;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.modulith.events.IncompleteEventPublications;
import org.springframework.stereotype.Component;

/**
 * When the server starts, hands exchanges whose learning was interrupted (by a crash or a stop) to
 * {@link Extraction} again. Only in the server, not in command-line runs.
 */
@Component
@ConditionalOnWebApplication
class LearningResumption {

	private final IncompleteEventPublications incomplete;

	LearningResumption(IncompleteEventPublications incomplete) {
		this.incomplete = incomplete;
	}

	@EventListener(ApplicationReadyEvent.class)
	void resume() {
		incomplete.resubmitIncompletePublications(p -> p.getEvent() instanceof ExchangeToLearnFrom
				|| p.getEvent() instanceof InterviewAnswer);
	}
}
