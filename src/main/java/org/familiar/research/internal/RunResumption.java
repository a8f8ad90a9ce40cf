package org.familiar.research.internal;

import org.familiar.research.ResearchManagement;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** When the server starts, evaluation runs a stop or crash interrupted go on where they were. */
@Component
@ConditionalOnWebApplication
class RunResumption {

	private final ResearchManagement research;

	RunResumption(ResearchManagement research) {
		this.research = research;
	}

	@EventListener(ApplicationReadyEvent.class)
	void resume() {
		research.resumeUnfinished();
	}
}
