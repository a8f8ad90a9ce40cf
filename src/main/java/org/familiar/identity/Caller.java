package org.familiar.identity;

import java.util.Optional;
import java.util.Set;
import org.familiar.compute.WorkloadClass;
import org.jspecify.annotations.Nullable;
import org.springframework.security.core.Authentication;

/**
 * Who is making a request: the person, the token they used (none for a browser session), the
 * workload class the request runs in and, for an app signed in with Familiar, which app and what
 * the person allowed it. Serializable: a browser session carries it, and replicas keep sessions in
 * Redis.
 *
 * @param token the personal access token, or for an app the app's registration id (usage and caps
 * are kept per token or app under this id)
 * @param connected the app acting for the person through Sign in with Familiar, if any
 */
public record Caller(PersonId person, String username, @Nullable TokenId token, WorkloadClass workload,
		@Nullable ConnectedApp connected) implements java.io.Serializable {

	public Caller(PersonId person, String username, @Nullable TokenId token, WorkloadClass workload) {
		this(person, username, token, workload, null);
	}

	/** The same caller doing work of another class (a chat's title is {@code batch} work). */
	public Caller as(WorkloadClass other) {
		return new Caller(person, username, token, other, connected);
	}

	/**
	 * An app signed in with Familiar: its registration id, client id, name and granted scopes, the
	 * authorization its token belongs to (for a linked device, the device's id) and the resources
	 * the token was issued for (RFC 8707; empty: Familiar's API as a whole, not {@code /mcp}).
	 */
	public record ConnectedApp(String registrationId, String clientId, String name, Set<String> scopes,
			@Nullable String grant, Set<String> audience) implements java.io.Serializable {

		public ConnectedApp {
			scopes = Set.copyOf(scopes);
			audience = Set.copyOf(audience);
		}

		public ConnectedApp(String registrationId, String clientId, String name, Set<String> scopes) {
			this(registrationId, clientId, name, scopes, null, Set.of());
		}
	}

	/** The linked device this caller is (a device app's token with {@code familiar.device}), if it is one. */
	public @Nullable String device() {
		return connected != null && connected.grant() != null && connected.scopes().contains(Scopes.DEVICE)
				? connected.grant() : null;
	}

	/**
	 * The app acting for the person, or {@code null} for Familiar's own web app and the person's own
	 * tokens: {@code app:CLIENT_ID} for an app signed in with Familiar, {@code token:ID} for a
	 * personal token of the {@code app} workload.
	 */
	public @Nullable String app() {
		if (connected != null) {
			return "app:" + connected.clientId();
		}
		return workload == WorkloadClass.APP && token != null ? "token:" + token.value() : null;
	}

	/**
	 * Whether the caller may do what {@code scope} stands for: always for the person themselves
	 * (session or personal token), for an app only if the person granted the scope.
	 */
	public boolean allows(String scope) {
		return connected == null || connected.scopes().contains(scope);
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
