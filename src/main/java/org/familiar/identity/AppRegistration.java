package org.familiar.identity;

import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * An app registered to "Sign in with Familiar".
 *
 * @param registrationId the app's internal id, under which its usage and caps are kept
 * @param confidential whether it has a secret (a server-side app) or not (a browser, mobile or
 * device app, which must use PKCE or the device flow)
 * @param owner who registered it; {@code null} for the operator (command line)
 * Serializable: the page that shows a new app's secret once gets it through the session.
 */
public record AppRegistration(String registrationId, String clientId, String name, List<String> redirectUris,
		boolean confidential, boolean device, @Nullable String logoUri, @Nullable PersonId owner, Instant createdAt)
		implements java.io.Serializable {

	public AppRegistration {
		redirectUris = List.copyOf(redirectUris);
	}
}
