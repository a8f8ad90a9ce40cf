package org.familiar.attention.internal;

import org.familiar.attention.AttentionManagement;
import org.familiar.attention.Urgency;
import org.familiar.research.EvaluationFinished;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** What Familiar itself tells its person about, through the attention policy like any sender. */
@Component
class FamiliarNotices {

	private final AttentionManagement attention;

	FamiliarNotices(AttentionManagement attention) {
		this.attention = attention;
	}

	@EventListener
	void evaluationFinished(EvaluationFinished finished) {
		attention.notifyFromFamiliar(finished.person(), new AttentionManagement.Outgoing(
				"Evaluation finished: " + finished.suite(), finished.correct() + " of " + finished.graded() + " correct with "
						+ finished.model() + ". The run is on your Research page.",
				Urgency.NORMAL, "research", null, "run:" + finished.run()));
	}
}
