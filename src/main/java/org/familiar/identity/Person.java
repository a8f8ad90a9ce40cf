package org.familiar.identity;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** Someone with a Familiar account. The password hash never leaves the identity module. */
public record Person(PersonId id, String username, boolean admin, @Nullable String plan, Instant createdAt) {
}
