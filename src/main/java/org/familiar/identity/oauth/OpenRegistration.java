package org.familiar.identity.oauth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.familiar.identity.ConnectedApps;
import org.familiar.identity.GuessesThrottledException;
import org.familiar.identity.InvalidAccountException;
import org.familiar.identity.ProtectedResources;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Open dynamic client registration (RFC 7591) at {@value #PATH}, the way MCP hosts register
 * themselves with a server they meet for the first time: public clients only (no secret;
 * {@code token_endpoint_auth_method} {@code none}), with the authorization code and refresh grants.
 * The safeguards are {@link ConnectedApps#registerItself}'s. A developer who wants a server-side
 * app registers it on the Developers page, or from code at {@code /connect/register} with a
 * registrar's token.
 */
@RestController
@ConditionalOnWebApplication
class OpenRegistration {

	static final String PATH = "/oauth2/register";

	private static final Set<String> GRANTS = Set.of("authorization_code", "refresh_token");

	private final ConnectedApps apps;

	private final ObjectMapper json;

	OpenRegistration(ConnectedApps apps, ObjectMapper json) {
		this.apps = apps;
		this.json = json;
	}

	/** This and the protected-resource metadata: stateless, no CSRF (no cookie is read), nobody signed in. */
	@Bean
	@Order(2)
	static SecurityFilterChain openRegistrationEndpoint(HttpSecurity http) throws Exception {
		return http.securityMatcher(PATH, ProtectedResources.METADATA, ProtectedResources.METADATA + "/*")
			.authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
			.csrf(csrf -> csrf.disable())
			.sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.requestCache(cache -> cache.disable())
			.build();
	}

	@PostMapping(path = PATH, produces = MediaType.APPLICATION_JSON_VALUE)
	ResponseEntity<JsonNode> register(@RequestBody(required = false) JsonNode body, HttpServletRequest request) {
		if (!(body instanceof ObjectNode metadata)) {
			return error("invalid_client_metadata", "Send the client metadata as a JSON object.");
		}
		var method = text(metadata, "token_endpoint_auth_method");
		if (method != null && !"none".equals(method)) {
			return error("invalid_client_metadata", "Only public clients (token_endpoint_auth_method \"none\", with PKCE) may "
					+ "register themselves here; a server-side app with a secret is registered by its developer.");
		}
		var grants = strings(metadata, "grant_types");
		if (grants != null && !GRANTS.containsAll(grants)) {
			return error("invalid_client_metadata", "grant_types may be authorization_code and refresh_token.");
		}
		var responses = strings(metadata, "response_types");
		if (responses != null && !List.of("code").containsAll(responses)) {
			return error("invalid_client_metadata", "response_types may only be code.");
		}
		var uris = strings(metadata, "redirect_uris");
		var name = text(metadata, "client_name");
		var scope = text(metadata, "scope");
		if (uris == null || name == null || metadata.has("scope") && scope == null) {
			return error("invalid_client_metadata", "client_name and redirect_uris are required; client_name and scope are "
					+ "strings and redirect_uris a list of strings.");
		}
		try {
			var scopes = scope == null ? null : new LinkedHashSet<>(Arrays.asList(scope.strip().split("\\s+")));
			var app = apps.registerItself(name, uris, scopes, request.getRemoteAddr());
			var client = json.createObjectNode();
			client.put("client_id", app.clientId());
			client.put("client_id_issued_at", app.createdAt().getEpochSecond());
			client.put("client_name", app.name());
			app.redirectUris().forEach(client.putArray("redirect_uris")::add);
			client.putArray("grant_types").add("authorization_code").add("refresh_token");
			client.putArray("response_types").add("code");
			client.put("token_endpoint_auth_method", "none");
			client.put("scope", String.join(" ", apps.app(app.clientId()).map(a -> scopesOf(a.clientId())).orElse(List.of())));
			return ResponseEntity.status(HttpStatus.CREATED).body(client);
		}
		catch (InvalidAccountException ex) {
			return error(ex.getMessage().toLowerCase(java.util.Locale.ROOT).contains("redirect") ? "invalid_redirect_uri"
					: "invalid_client_metadata", ex.getMessage());
		}
		catch (GuessesThrottledException ex) {
			var node = json.createObjectNode().put("error", "too_many_requests").put("error_description", ex.getMessage());
			return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
				.header(HttpHeaders.RETRY_AFTER, Long.toString(ex.retryAfterSeconds()))
				.body(node);
		}
	}

	private List<String> scopesOf(String clientId) {
		return apps.scopes(clientId);
	}

	private ResponseEntity<JsonNode> error(String code, String description) {
		return ResponseEntity.badRequest().body(json.createObjectNode().put("error", code).put("error_description", description));
	}

	private static String text(ObjectNode metadata, String field) {
		var value = metadata.get(field);
		return value != null && value.isTextual() ? value.asText() : null;
	}

	private static List<String> strings(ObjectNode metadata, String field) {
		var value = metadata.get(field);
		if (value == null || !value.isArray()) {
			return null;
		}
		var result = new ArrayList<String>();
		for (var item : value) {
			if (!item.isTextual()) {
				return null;
			}
			result.add(item.asText());
		}
		return result;
	}
}
