package org.familiar.identity.oauth;

import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.Map;
import org.familiar.identity.ProtectedResources;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.http.CacheControl;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * OAuth 2.0 protected-resource metadata (RFC 9728) for {@code /mcp} and {@code /v1}, where MCP
 * hosts (and any app) learn which authorization server issues tokens for them and which scopes
 * there are. The well-known URI without a path describes {@code /mcp}.
 */
@RestController
@ConditionalOnWebApplication
class ResourceMetadata {

	private final ProtectedResources resources;

	ResourceMetadata(ProtectedResources resources) {
		this.resources = resources;
	}

	@GetMapping({ ProtectedResources.METADATA, ProtectedResources.METADATA + ProtectedResources.MCP })
	ResponseEntity<Map<String, Object>> mcp(HttpServletRequest request) {
		return metadata(request, ProtectedResources.MCP);
	}

	@GetMapping(ProtectedResources.METADATA + ProtectedResources.V1)
	ResponseEntity<Map<String, Object>> v1(HttpServletRequest request) {
		return metadata(request, ProtectedResources.V1);
	}

	private ResponseEntity<Map<String, Object>> metadata(HttpServletRequest request, String path) {
		return ResponseEntity.ok()
			.cacheControl(CacheControl.maxAge(Duration.ofHours(1)).cachePublic())
			.header("Access-Control-Allow-Origin", "*")
			.body(resources.metadata(request, path));
	}
}
