package org.familiar.identity;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Someone with a Familiar account. The password hash never leaves the identity module.
 *
 * @param disabledAt when an administrator disabled the account (it cannot sign in, its tokens do
 * not work), if they did
 */
public record Person(PersonId id, String username, boolean admin, @Nullable String plan, Instant createdAt,
		@Nullable Instant disabledAt) {

	public boolean disabled() {
		return disabledAt != null;
	}
}
