package org.familiar.research;

import java.util.UUID;
import org.familiar.identity.PersonId;

/** An evaluation run graded its last item: who ran it, on which suite and model, and how it went. */
public record EvaluationFinished(PersonId person, UUID run, String suite, String model, int graded, int correct) {
}
