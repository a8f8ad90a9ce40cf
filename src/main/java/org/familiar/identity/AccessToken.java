package org.familiar.identity;

import java.time.Instant;
import org.familiar.compute.WorkloadClass;
import org.jspecify.annotations.Nullable;

/**
 * What is known of a personal access token after it was issued: its label, the last characters
 * ({@code hint}) to recognise it by, its workload class and its life. The secret is not kept.
 */
public record AccessToken(TokenId id, String label, String hint, WorkloadClass workload, Instant createdAt,
		@Nullable Instant lastUsedAt, @Nullable Instant revokedAt) {

	public boolean active() {
		return revokedAt == null;
	}
}
