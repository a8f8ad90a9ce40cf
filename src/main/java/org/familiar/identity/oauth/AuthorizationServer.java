package org.familiar.identity.oauth;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.http.converter.OAuth2ErrorHttpMessageConverter;
import java.util.UUID;
import java.util.function.Consumer;
import org.familiar.identity.ConnectedApps;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.oauth2.server.authorization.OAuth2TokenType;
import org.springframework.security.oauth2.server.authorization.oidc.authentication.OidcClientRegistrationAuthenticationProvider;
import org.familiar.identity.AppCapChosen;
import org.familiar.identity.CallerPrincipal;
import org.familiar.identity.SecurityHeaders;
import org.familiar.identity.SigningKeys;
import org.familiar.identity.ProtectedResources;
import org.familiar.identity.Scopes;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.JdbcOperations;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.authorization.JdbcOAuth2AuthorizationConsentService;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationConsentService;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationConsentAuthenticationContext;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationConsentAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationConsentAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2DeviceAuthorizationConsentAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2DeviceAuthorizationConsentAuthenticationToken;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2DeviceAuthorizationRequestAuthenticationProvider;
import org.springframework.security.oauth2.server.authorization.client.JdbcRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.config.annotation.web.configurers.OAuth2AuthorizationServerConfigurer;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenCustomizer;
import org.springframework.security.oauth2.server.authorization.authentication.OAuth2DeviceVerificationAuthenticationProvider;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CsrfFilter;
import org.springframework.security.web.csrf.CsrfTokenRepository;
import org.springframework.security.web.savedrequest.RequestCache;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.util.matcher.MediaTypeRequestMatcher;

/**
 * The OpenID Connect provider (Spring Authorization Server): discovery, JWKS, authorization code
 * with PKCE, refresh, revocation, introspection, userinfo and the device authorization grant,
 * with Familiar's own consent and device pages. Access tokens are opaque and stored hashed; ID
 * tokens are JWTs signed with {@link SigningKeys}.
 */
@Configuration(proxyBeanMethods = false)
class AuthorizationServer {

	static final String CONSENT_PAGE = "/oauth2/consent";

	/** The consent form's field for the monthly token cap the person gives the app. */
	public static final String CAP_PARAMETER = "familiar_cap";

	@Bean
	RegisteredClientRepository registeredClients(JdbcOperations jdbc, org.springframework.jdbc.core.simple.JdbcClient sql,
			com.fasterxml.jackson.databind.ObjectMapper json, java.time.Clock clock,
			@Value("${familiar.identity.client-documents.allow-loopback-http:false}") boolean loopbackForTests) {
		return new ClientDocuments(new JdbcRegisteredClientRepository(jdbc), sql, json, clock, loopbackForTests);
	}

	@Bean
	HashedAuthorizations authorizations(JdbcOperations jdbc, RegisteredClientRepository clients) {
		return new HashedAuthorizations(jdbc, clients);
	}

	@Bean
	OAuth2AuthorizationConsentService consents(JdbcOperations jdbc, RegisteredClientRepository clients) {
		return new JdbcOAuth2AuthorizationConsentService(jdbc, clients);
	}

	/** {@code familiar.issuer}: the URL apps know Familiar by; by default, the URL each request came to. */
	@Bean
	AuthorizationServerSettings authorizationServerSettings(@Value("${familiar.issuer:}") String issuer) {
		var settings = AuthorizationServerSettings.builder();
		if (!issuer.isBlank()) {
			settings.issuer(issuer.strip());
		}
		return settings.build();
	}

	/** ID tokens name the key that signed them and, with {@code profile}, the person's username. */
	@Bean
	OAuth2TokenCustomizer<JwtEncodingContext> idTokens(SigningKeys keys) {
		return context -> {
			context.getJwsHeader().keyId(keys.current().getKeyID());
			if ("id_token".equals(context.getTokenType().getValue()) && context.getAuthorizedScopes().contains(Scopes.PROFILE)) {
				context.getClaims().claim("preferred_username", context.getPrincipal().getName());
				context.getClaims().claim("name", context.getPrincipal().getName());
			}
		};
	}

	/** Access tokens name the resource they are for (RFC 8707), when the app asked for one. */
	@Bean
	OAuth2TokenCustomizer<org.springframework.security.oauth2.server.authorization.token.OAuth2TokenClaimsContext> accessTokenAudience(
			ProtectedResources resources, AuthorizationServerSettings settings) {
		return new ResourceIndicators(resources, settings.getAuthorizationEndpoint())::customize;
	}

	@Bean
	@Order(1)
	@ConditionalOnWebApplication
	SecurityFilterChain authorizationServerEndpoints(HttpSecurity http, RegisteredClientRepository clients,
			AuthorizationServerSettings settings, ConnectedApps apps, HashedAuthorizations authorizations,
			PasswordEncoder passwords, ApplicationEventPublisher events, OAuth2AuthorizationConsentService consents,
			CsrfTokenRepository csrfTokens, RequestCache requestCache, SigningKeys keys,
			OAuth2TokenCustomizer<JwtEncodingContext> idTokens, ProtectedResources resources) throws Exception {
		var deviceIdTokens = new org.springframework.security.oauth2.server.authorization.token.JwtGenerator(
				new org.springframework.security.oauth2.jwt.NimbusJwtEncoder(keys));
		deviceIdTokens.setJwtCustomizer(idTokens);
		var server = OAuth2AuthorizationServerConfigurer.authorizationServer();
		var publicClients = new PublicClients(clients, settings.getDeviceAuthorizationEndpoint(), settings.getTokenEndpoint(),
				settings.getTokenRevocationEndpoint());
		Consumer<OAuth2AuthorizationConsentAuthenticationContext> capChosen = context -> capChosen(context, events);
		if (clients instanceof ClientDocuments documents) {
			http.addFilterAfter(new ClientDocuments.AtAuthorization(documents, settings.getAuthorizationEndpoint()), CsrfFilter.class);
		}
		http.securityMatcher(server.getEndpointsMatcher())
			.with(server, config -> config
				.oidc(oidc -> oidc
					.userInfoEndpoint(endpoint -> endpoint.authenticationProviders(providers -> {
						providers.clear();
						providers.add(new UserInfo(authorizations));
					}))
					.providerConfigurationEndpoint(endpoint -> endpoint
						// registration_endpoint stays /connect/register (OpenID Connect registration with a
						// registrar's token); MCP hosts read the OAuth metadata first, which names the open one.
						.providerConfigurationCustomizer(metadata -> metadata.scopes(scopes -> scopes.addAll(ConnectedApps.DEVICE_SCOPES))
							.codeChallengeMethod("S256")
							.tokenEndpointAuthenticationMethods(AuthorizationServer::withNone)
							.claim(CLIENT_ID_DOCUMENTS, true)))
					// Dynamic registration (/connect/register) with a registrar's client.create token.
					.clientRegistrationEndpoint(endpoint -> endpoint.authenticationProviders(providers -> providers.forEach(provider -> {
						if (provider instanceof OidcClientRegistrationAuthenticationProvider registration) {
							registration.setRegisteredClientConverter(apps::fromRegistration);
							registration.setPasswordEncoder(passwords);
						}
					})).errorResponseHandler(AuthorizationServer::registrationError)))
				.authorizationServerMetadataEndpoint(endpoint -> endpoint.authorizationServerMetadataCustomizer(metadata -> metadata
					.scopes(scopes -> scopes.addAll(ConnectedApps.DEVICE_SCOPES))
					.clientRegistrationEndpoint(issuer() + OpenRegistration.PATH)
					.tokenEndpointAuthenticationMethods(AuthorizationServer::withNone)
					.tokenRevocationEndpointAuthenticationMethods(AuthorizationServer::withNone)
					.claim(CLIENT_ID_DOCUMENTS, true)))
				.authorizationEndpoint(endpoint -> endpoint.consentPage(CONSENT_PAGE)
					.authenticationProviders(providers -> providers.forEach(provider -> {
						if (provider instanceof OAuth2AuthorizationConsentAuthenticationProvider consent) {
							consent.setAuthorizationConsentCustomizer(capChosen);
						}
					})))
				.deviceAuthorizationEndpoint(endpoint -> endpoint.verificationUri("/activate")
					.authenticationProviders(providers -> providers.replaceAll(provider ->
							provider instanceof OAuth2DeviceAuthorizationRequestAuthenticationProvider requests
									? new DeviceRequests(requests, authorizations) : provider)))
				.deviceVerificationEndpoint(endpoint -> endpoint.consentPage(CONSENT_PAGE)
					.deviceVerificationResponseHandler((request, response, authentication) -> response
						.sendRedirect(request.getContextPath() + "/activated"))
					.errorResponseHandler((request, response, exception) -> response
						.sendRedirect(request.getContextPath() + "/activate?error"))
					.authenticationProviders(providers -> {
						// A device is approved on the consent page only, never by the verification link alone.
						providers.replaceAll(provider -> provider instanceof OAuth2DeviceVerificationAuthenticationProvider
								? new OAuth2DeviceVerificationAuthenticationProvider(clients, authorizations,
										new AlwaysAskForDevices(consents))
								: provider);
						providers.forEach(provider -> {
							if (provider instanceof OAuth2DeviceAuthorizationConsentAuthenticationProvider consent) {
								consent.setAuthorizationConsentCustomizer(capChosen);
							}
						});
					}))
				.tokenEndpoint(endpoint -> endpoint.authenticationProviders(providers -> providers.replaceAll(provider ->
						provider instanceof org.springframework.security.oauth2.server.authorization.authentication.OAuth2DeviceCodeAuthenticationProvider exchange
								? new DeviceIdTokens(exchange, authorizations, deviceIdTokens)
								: provider instanceof org.springframework.security.oauth2.server.authorization.authentication.OAuth2AuthorizationCodeAuthenticationProvider
										? RefreshTokens.atCodeExchange(provider, authorizations)
										: provider instanceof org.springframework.security.oauth2.server.authorization.authentication.OAuth2RefreshTokenAuthenticationProvider
												? RefreshTokens.atRefresh(provider, authorizations) : provider)))
				.clientAuthentication(authentication -> authentication.authenticationConverter(publicClients)
					.authenticationProvider(publicClients)))
			.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
			.headers(SecurityHeaders::apply)
			.addFilterAfter(new ConsentForms(csrfTokens, settings), CsrfFilter.class)
			.addFilterAfter(new SingleValuedParameters(settings), CsrfFilter.class)
			.addFilterAfter(new ResourceIndicators(resources, settings.getAuthorizationEndpoint()), CsrfFilter.class)

			.requestCache(cache -> cache.requestCache(requestCache))
			.exceptionHandling(exceptions -> exceptions.defaultAuthenticationEntryPointFor(
					new LoginUrlAuthenticationEntryPoint("/login"), new MediaTypeRequestMatcher(MediaType.TEXT_HTML)))
			// Spring Authorization Server asks for JWT bearer tokens at userinfo; app access tokens
			// are opaque, so the "decoder" looks them up (by hash) instead of parsing them.
			.oauth2ResourceServer(resource -> resource.jwt(jwt -> jwt.decoder(token -> bearer(token, authorizations))));
		return http.build();
	}

	/** Client ID metadata documents (an https client_id naming the app's metadata) are accepted. */
	private static final String CLIENT_ID_DOCUMENTS = "client_id_metadata_document_supported";

	/** Public clients (PKCE, refresh and revocation by client_id alone) authenticate with "none". */
	private static void withNone(java.util.List<String> methods) {
		if (!methods.contains("none")) {
			methods.add("none");
		}
	}

	private static String issuer() {
		return org.springframework.security.oauth2.server.authorization.context.AuthorizationServerContextHolder.getContext().getIssuer();
	}

	/**
	 * Dynamic registration's errors as RFC 7591 wants them, without what Spring Authorization Server
	 * puts in a description when storing failed (the SQL statement, the database's message).
	 */
	private static void registrationError(HttpServletRequest request, HttpServletResponse response,
			AuthenticationException exception) throws IOException {
		var error = exception instanceof OAuth2AuthenticationException oauth ? oauth.getError()
				: new OAuth2Error("invalid_client_metadata");
		var description = error.getDescription();
		if (description == null || INTERNALS.matcher(description).find()) {
			description = "The registration could not be stored: check client_name, redirect_uris and the other metadata.";
		}
		var status = "invalid_token".equals(error.getErrorCode()) ? HttpStatus.UNAUTHORIZED
				: "insufficient_scope".equals(error.getErrorCode()) ? HttpStatus.FORBIDDEN : HttpStatus.BAD_REQUEST;
		response.setStatus(status.value());
		new OAuth2ErrorHttpMessageConverter().write(new OAuth2Error(error.getErrorCode(), description, null), null,
				new ServletServerHttpResponse(response));
	}

	private static final java.util.regex.Pattern INTERNALS = java.util.regex.Pattern
		.compile("SQL|PreparedStatement|Exception|jdbc|constraint", java.util.regex.Pattern.CASE_INSENSITIVE);

	/** Any active access token this server issued (a person's app token, or a registrar's), as a bearer. */
	private static Jwt bearer(String token, HashedAuthorizations authorizations) {
		var authorization = authorizations.findByToken(token, OAuth2TokenType.ACCESS_TOKEN);
		if (authorization == null || authorization.getAccessToken() == null || !authorization.getAccessToken().isActive()) {
			throw new BadJwtException("The access token is not valid or has been revoked.");
		}
		var access = authorization.getAccessToken().getToken();
		return Jwt.withTokenValue(token)
			.header("typ", "opaque")
			.subject(authorization.getPrincipalName())
			.claim("scope", String.join(" ", access.getScopes()))
			.issuedAt(access.getIssuedAt())
			.expiresAt(access.getExpiresAt())
			.build();
	}

	/** Tells plans the monthly cap the person chose for the app on the consent page. */
	private static void capChosen(OAuth2AuthorizationConsentAuthenticationContext context, ApplicationEventPublisher events) {
		Authentication consent = context.getAuthentication();
		Map<String, Object> parameters = consent instanceof OAuth2AuthorizationConsentAuthenticationToken authorization
				? authorization.getAdditionalParameters()
				: consent instanceof OAuth2DeviceAuthorizationConsentAuthenticationToken device ? device.getAdditionalParameters()
						: Map.of();
		if (!(consent.getPrincipal() instanceof Authentication person) || !(person.getPrincipal() instanceof CallerPrincipal caller)) {
			return;
		}
		Long cap = null;
		var value = parameters.get(CAP_PARAMETER);
		if (value instanceof String text && !text.isBlank()) {
			try {
				cap = Math.max(0, Long.parseLong(text.strip().replace(",", "").replace("_", "")));
			}
			catch (NumberFormatException ignored) {
				// Not a number: no cap, as if left empty.
			}
		}
		events.publishEvent(new AppCapChosen(caller.caller().person(), UUID.fromString(context.getRegisteredClient().getId()), cap));
	}
}
