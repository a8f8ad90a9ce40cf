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
 * @param origin how it was registered: {@link #BY_DEVELOPER}, {@link #BY_ITSELF} (open dynamic
 * registration: nobody vouches for its name) or {@link #BY_DOCUMENT} (a client ID metadata
 * document at its https client id: its name is the host's word)
 * Serializable: the page that shows a new app's secret once gets it through the session.
 */
public record AppRegistration(String registrationId, String clientId, String name, List<String> redirectUris,
		boolean confidential, boolean device, @Nullable String logoUri, @Nullable PersonId owner, Instant createdAt,
		String origin) implements java.io.Serializable {

	public static final String BY_DEVELOPER = "developer";

	public static final String BY_ITSELF = "self";

	public static final String BY_DOCUMENT = "document";

	public AppRegistration {
		redirectUris = List.copyOf(redirectUris);
	}

	/** Whether nobody vouched for what it says it is (it registered itself). */
	public boolean unverified() {
		return BY_ITSELF.equals(origin);
	}
}
