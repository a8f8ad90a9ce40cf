package org.familiar.identity;

import org.jspecify.annotations.Nullable;

/** An administrator moved a person to another plan ({@code null}: the default plan). */
public record PlanChanged(PersonId person, @Nullable String plan) {
}
