package org.familiar.identity.web;

import jakarta.servlet.http.HttpServletResponse;
import java.security.Principal;
import java.util.LinkedHashSet;
import java.util.Set;
import org.familiar.identity.ConnectedApps;
import org.familiar.identity.Scopes;
import org.familiar.identity.SecurityHeaders;
import org.jspecify.annotations.Nullable;
import org.springframework.security.oauth2.core.oidc.OidcScopes;
import org.springframework.security.oauth2.server.authorization.OAuth2AuthorizationConsentService;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.util.StringUtils;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

/**
 * The pages of Sign in with Familiar a person sees: the consent page (what an app asks for, in
 * plain words, and a monthly cap), and the page where they type a device's code.
 */
@Controller
class OAuthPages {

	private final RegisteredClientRepository clients;

	private final OAuth2AuthorizationConsentService consents;

	private final ConnectedApps apps;

	private final org.familiar.identity.oauth.HashedAuthorizations authorizations;

	OAuthPages(RegisteredClientRepository clients, OAuth2AuthorizationConsentService consents, ConnectedApps apps,
			org.familiar.identity.oauth.HashedAuthorizations authorizations) {
		this.authorizations = authorizations;
		this.clients = clients;
		this.consents = consents;
		this.apps = apps;
	}

	record ScopeChoice(String scope, String description, boolean alreadyGranted, @Nullable String tools) {
	}

	@GetMapping("/oauth2/consent")
	String consent(Principal principal, Model model, HttpServletResponse response, @RequestParam(name = "client_id") String clientId,
			@RequestParam String scope, @RequestParam String state,
			@RequestParam(name = "user_code", required = false) @Nullable String userCode) {
		// Apps' logos come from their own sites; everything else stays as strict as on every page.
		response.setHeader("Content-Security-Policy", SecurityHeaders.policy("'self' data: https:"));
		var client = clientId.isBlank() ? null : clients.findByClientId(clientId);
		if (client == null) {
			model.addAttribute("error", "No app is registered as " + clientId + ".");
			return "identity/consent";
		}
		var previous = consents.findById(client.getId(), principal.getName());
		Set<String> granted = previous == null ? Set.of() : previous.getScopes();
		var mcp = userCode == null && forMcp(state);
		var choices = new java.util.ArrayList<ScopeChoice>();
		for (var requested : new LinkedHashSet<>(java.util.List.of(StringUtils.delimitedListToStringArray(scope, " ")))) {
			// A device has no ID token: that it may learn whose it is is a choice like the others.
			if (!requested.isBlank() && (userCode != null || !OidcScopes.OPENID.equals(requested))) {
				choices.add(new ScopeChoice(requested, Scopes.describe(requested), granted.contains(requested),
						mcp ? Scopes.TOOLS.get(requested) : null));
			}
		}
		var app = apps.app(clientId).orElse(null);
		model.addAttribute("app", app);
		model.addAttribute("mcp", mcp);
		if (app != null && !app.redirectUris().isEmpty()) {
			model.addAttribute("returnsTo", java.net.URI.create(app.redirectUris().getFirst()).getHost());
		}
		model.addAttribute("clientId", clientId);
		model.addAttribute("clientName", client.getClientName());
		model.addAttribute("choices", choices);
		model.addAttribute("state", state);
		model.addAttribute("userCode", userCode);
		if (userCode != null) {
			var device = authorizations.findByToken(userCode, new org.springframework.security.oauth2.server.authorization.OAuth2TokenType("user_code"));
			if (device != null && device.getRegisteredClientId().equals(client.getId())) {
				model.addAttribute("deviceName", device.getAttribute(org.familiar.identity.LinkedDevices.DEVICE_NAME));
				model.addAttribute("deviceKind", device.getAttribute(org.familiar.identity.LinkedDevices.DEVICE_KIND));
			}
		}
		model.addAttribute("action", userCode != null ? "/oauth2/device_verification" : "/oauth2/authorize");
		model.addAttribute("asksForAssistant", scope.contains(Scopes.ASSISTANT));
		return "identity/consent";
	}

	/** Whether the authorization waiting on this consent asked for a token for {@code /mcp} (an MCP host). */
	private boolean forMcp(String state) {
		var pending = authorizations.findByToken(state, new org.springframework.security.oauth2.server.authorization.OAuth2TokenType(
				org.springframework.security.oauth2.core.endpoint.OAuth2ParameterNames.STATE));
		if (pending == null || !(pending.getAttribute(org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest.class
			.getName()) instanceof org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest request)) {
			return false;
		}
		var resource = request.getAdditionalParameters().get("resource");
		var values = resource instanceof String[] many ? java.util.List.of(many)
				: resource instanceof java.util.Collection<?> list ? list.stream().map(String::valueOf).toList()
						: resource == null ? java.util.List.<String>of() : java.util.List.of(String.valueOf(resource));
		return values.stream().anyMatch(value -> value.endsWith(org.familiar.identity.ProtectedResources.MCP));
	}

	@GetMapping("/activate")
	String activate(@RequestParam(name = "user_code", required = false) @Nullable String userCode, Model model) {
		model.addAttribute("userCode", userCode == null ? "" : userCode);
		return "identity/activate";
	}

	@GetMapping("/activated")
	String activated() {
		return "identity/activated";
	}
}
