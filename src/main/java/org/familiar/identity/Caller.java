package org.familiar.identity;

import java.util.Optional;
import org.familiar.compute.WorkloadClass;
import org.jspecify.annotations.Nullable;
import org.springframework.security.core.Authentication;

/**
 * Who is making a request: the person, the token they used (none for a browser session) and the
 * workload class the request runs in.
 */
public record Caller(PersonId person, String username, @Nullable TokenId token, WorkloadClass workload) {

	/**
	 * The app acting for the person, or {@code null} for Familiar's own web app and the person's own
	 * tokens. For now an app is a token issued for the {@code app} workload, named {@code token:ID}.
	 */
	public @Nullable String app() {
		return workload == WorkloadClass.APP && token != null ? "token:" + token.value() : null;
	}

	/** The caller behind a Spring Security authentication made by Familiar, if it is one. */
	public static Optional<Caller> of(@Nullable Authentication authentication) {
		if (authentication == null) {
			return Optional.empty();
		}
		return authentication.getPrincipal() instanceof CallerPrincipal principal ? Optional.of(principal.caller())
				: Optional.empty();
	}
}
