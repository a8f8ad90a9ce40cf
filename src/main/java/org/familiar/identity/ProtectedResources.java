package org.familiar.identity;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/**
 * The resources Familiar's tokens are for, as MCP's authorization asks (RFC 9728 protected-resource
 * metadata, RFC 8707 resource indicators): {@code /mcp} and {@code /v1}, each named by its absolute
 * URI under the issuer. A token asked for with {@code resource=…/mcp} is for {@code /mcp} alone; one
 * asked for without a resource is for Familiar's API as it always was ({@code /v1}, {@code /api}),
 * never for {@code /mcp}.
 */
@Component
public class ProtectedResources {

	public static final String MCP = "/mcp";

	public static final String V1 = "/v1";

	public static final String METADATA = "/.well-known/oauth-protected-resource";

	private static final Map<String, String> NAMES = Map.of(MCP, "Familiar MCP server", V1, "Familiar OpenAI-compatible API");

	private final String issuer;

	ProtectedResources(@Value("${familiar.issuer:}") String issuer) {
		var clean = issuer.strip();
		this.issuer = clean.endsWith("/") ? clean.substring(0, clean.length() - 1) : clean;
	}

	/** Familiar's own URL: {@code familiar.issuer}, or the one this request came to (as the provider resolves it). */
	public String base(HttpServletRequest request) {
		return issuer.isEmpty() ? ServletUriComponentsBuilder.fromContextPath(request).replaceQuery(null).toUriString() : issuer;
	}

	/** The resource {@code path} ({@link #MCP} or {@link #V1}) names, as an absolute URI. */
	public String resource(HttpServletRequest request, String path) {
		return base(request) + path;
	}

	/** The resources a token may be asked for. */
	public Set<String> resources(HttpServletRequest request) {
		return Set.of(resource(request, MCP), resource(request, V1));
	}

	/** The value of a 401's {@code WWW-Authenticate} for {@code path}, pointing to its metadata (RFC 9728, 5.1). */
	public String challenge(HttpServletRequest request, String path, @Nullable String error, @Nullable String description) {
		var value = new StringBuilder("Bearer resource_metadata=\"").append(base(request)).append(METADATA).append(path).append('"');
		if (error != null) {
			value.append(", error=\"").append(error).append('"');
		}
		if (description != null) {
			value.append(", error_description=\"").append(description.replace('"', '\'').replace('\\', '/')).append('"');
		}
		return value.toString();
	}

	/** The protected-resource metadata of {@code path} (RFC 9728, 2). */
	public Map<String, Object> metadata(HttpServletRequest request, String path) {
		var base = base(request);
		var metadata = new LinkedHashMap<String, Object>();
		metadata.put("resource", base + path);
		metadata.put("authorization_servers", List.of(base));
		metadata.put("scopes_supported", MCP.equals(path)
				? List.of(Scopes.MEMORY_READ, Scopes.MEMORY_WRITE, Scopes.ASSISTANT, Scopes.NOTIFY)
				: List.of(Scopes.ASSISTANT, Scopes.MEMORY_READ));
		metadata.put("bearer_methods_supported", List.of("header"));
		metadata.put("resource_name", NAMES.get(path));
		return metadata;
	}

	/** The resources in an access token's {@code aud} claim, without the client id Spring Authorization Server puts there. */
	static Set<String> audience(Map<String, Object> claims, String clientId) {
		Object aud = claims.get("aud");
		Collection<?> values = aud instanceof Collection<?> many ? many : aud == null ? List.of() : List.of(aud);
		return values.stream().map(String::valueOf).filter(value -> !value.equals(clientId)).collect(Collectors.toUnmodifiableSet());
	}

	/**
	 * Whether a caller's token may be used at {@code path} of this request: a person's own token and
	 * the web app's session everywhere; an app's token only where it was issued for.
	 */
	public boolean admits(Caller caller, HttpServletRequest request, @Nullable String path) {
		var app = caller.connected();
		if (app == null) {
			return true;
		}
		if (app.audience().isEmpty()) {
			return !MCP.equals(path);
		}
		return path != null && app.audience().contains(resource(request, path));
	}
}
