package org.familiar.identity;

import org.jspecify.annotations.Nullable;

/**
 * A person chose, on the consent page, how many tokens an app may spend of their plan per 30
 * days ({@code null}: no cap of its own). {@code app} is the app's registration id, under which
 * its usage is kept.
 */
public record AppCapChosen(PersonId person, java.util.UUID app, @Nullable Long tokensPer30Days) {
}
