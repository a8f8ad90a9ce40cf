package org.familiar.identity.oauth;

import org.jspecify.annotations.Nullable;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationConsent;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationConsentService;

/**
 * The consents as the device verification step sees them: never there. Spring Authorization
 * Server approves a device at once when the person has approved that app before, so one link to
 * {@code /oauth2/device_verification?user_code=…} from any site linked the attacker's device. With
 * this view a device is always approved on the consent page, by an explicit, CSRF-protected POST;
 * the consent step itself (and the consent page, which says what was allowed before) sees the real
 * consents.
 */
final class AlwaysAskForDevices implements OAuth2AuthorizationConsentService {

	private final OAuth2AuthorizationConsentService consents;

	AlwaysAskForDevices(OAuth2AuthorizationConsentService consents) {
		this.consents = consents;
	}

	@Override
	public void save(OAuth2AuthorizationConsent consent) {
		consents.save(consent);
	}

	@Override
	public void remove(OAuth2AuthorizationConsent consent) {
		consents.remove(consent);
	}

	@Override
	public @Nullable OAuth2AuthorizationConsent findById(String registeredClientId, String principalName) {
		return null;
	}
}
