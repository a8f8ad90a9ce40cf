package org.familiar.identity;

import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.HeadersConfigurer;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy;

/**
 * The browser security headers every page of Familiar sends: a strict Content-Security-Policy (no
 * inline script or style, no eval, nothing loaded from elsewhere, no framing), a Referrer-Policy
 * and a Permissions-Policy, on top of Spring Security's defaults (nosniff, frame options, HSTS over
 * TLS). The pages' own code lives in {@code /js} and {@code /css}; markup from people or models
 * therefore cannot run, even if it got past the sanitizer.
 */
public final class SecurityHeaders {

	/** Images from this site only, so a reply cannot send what it read to another site in an image URL. */
	public static final String CONTENT_SECURITY_POLICY = policy("'self' data: blob:");

	public static final String PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
			+ "serial=(), display-capture=()";

	private SecurityHeaders() {
	}

	/** The policy with another {@code img-src} (the consent page shows apps' logos from their sites). */
	public static String policy(String imageSources) {
		return "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + imageSources
				+ "; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
	}

	public static void apply(HeadersConfigurer<HttpSecurity> headers) {
		headers.contentSecurityPolicy(csp -> csp.policyDirectives(CONTENT_SECURITY_POLICY))
			.referrerPolicy(referrer -> referrer.policy(ReferrerPolicy.SAME_ORIGIN))
			.permissionsPolicyHeader(permissions -> permissions.policy(PERMISSIONS_POLICY));
	}
}
