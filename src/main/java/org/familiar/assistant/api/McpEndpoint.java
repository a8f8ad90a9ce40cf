package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.familiar.assistant.AppTool;
import org.familiar.compute.BackendException;
import org.familiar.compute.CapacityExceededException;
import org.familiar.compute.ModelNotFoundException;
import org.familiar.compute.UnsupportedFieldException;
import org.familiar.identity.AccessTokenIntrospector;
import org.familiar.identity.Caller;
import org.familiar.identity.GuessesThrottledException;
import org.familiar.identity.ProtectedResources;
import org.familiar.identity.Scopes;
import org.familiar.memory.InvalidMemoryException;
import org.familiar.memory.MemoryNotFoundException;
import org.familiar.plans.PlanForbiddenException;
import org.familiar.plans.QuotaExceededException;
import org.familiar.plans.ToolCalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.info.BuildProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Familiar as an MCP server at {@code /mcp}: the official MCP Java SDK's stateless streamable HTTP
 * transport (no session to share between replicas) on a servlet, behind a bearer-token chain that
 * answers a missing or wrong token with 401 and {@code WWW-Authenticate: Bearer resource_metadata=…}
 * (RFC 9728), so a host finds the authorization server from the URL alone. Only tokens issued for
 * {@code /mcp} (RFC 8707) pass. Tools are listed to an app only with the scope each needs, run as
 * the person on the calling thread, and every call is counted for the app.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnWebApplication
class McpEndpoint {

	private static final Logger log = LoggerFactory.getLogger(McpEndpoint.class);

	private static final String CALLER = "familiar.caller";

	static final String PREFERENCES = "familiar://me/preferences";

	@Bean
	@Order(1)
	SecurityFilterChain mcpApi(HttpSecurity http, AccessTokenIntrospector tokens, ProtectedResources resources,
			ObjectMapper json) throws Exception {
		org.springframework.security.web.AuthenticationEntryPoint unauthenticated = (request, response, ex) ->
				unauthenticated(request, response, ex, resources, json);
		return http.securityMatcher(ProtectedResources.MCP, ProtectedResources.MCP + "/**")
			.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
			.csrf(csrf -> csrf.disable())
			.sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
			.requestCache(cache -> cache.disable())
			.anonymous(anonymous -> anonymous.disable())
			.logout(logout -> logout.disable())
			.oauth2ResourceServer(server -> server.opaqueToken(opaque -> opaque.introspector(tokens.forResource(ProtectedResources.MCP)))
				.authenticationEntryPoint(unauthenticated))
			.exceptionHandling(handling -> handling.authenticationEntryPoint(unauthenticated))
			.build();
	}

	private static void unauthenticated(HttpServletRequest request, HttpServletResponse response, AuthenticationException ex,
			ProtectedResources resources, ObjectMapper json) throws IOException {
		if (ex instanceof GuessesThrottledException throttled) {
			response.setStatus(429);
			response.setHeader("Retry-After", Long.toString(throttled.retryAfterSeconds()));
			response.setContentType(MediaType.APPLICATION_JSON_VALUE);
			json.writeValue(response.getOutputStream(), Map.of("error", "too_many_requests", "error_description", ex.getMessage()));
			return;
		}
		boolean invalid = ex instanceof InvalidBearerTokenException;
		var description = invalid ? ex.getMessage() : "Sign in with Familiar: this server's authorization server is named in the resource metadata.";
		response.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
		response.setHeader("WWW-Authenticate", resources.challenge(request, ProtectedResources.MCP,
				invalid ? "invalid_token" : null, invalid ? description : null));
		response.setContentType(MediaType.APPLICATION_JSON_VALUE);
		json.writeValue(response.getOutputStream(), Map.of("error", invalid ? "invalid_token" : "unauthorized",
				"error_description", description));
	}

	/**
	 * {@code familiar.mcp.allowed-origins}: the web origins whose pages may call {@code /mcp} from a
	 * browser (a request with any other {@code Origin} is refused, against DNS rebinding); hosts
	 * that are not web pages send no {@code Origin} and are not affected.
	 */
	@Bean
	HttpServletStatelessServerTransport mcpTransport(ObjectMapper json,
			@org.springframework.beans.factory.annotation.Value("${familiar.mcp.allowed-origins:}") List<String> origins,
			@org.springframework.beans.factory.annotation.Value("${familiar.issuer:}") String issuer) {
		var allowed = new ArrayList<>(origins.stream().map(String::strip).filter(o -> !o.isEmpty()).toList());
		if (!issuer.isBlank()) {
			var uri = java.net.URI.create(issuer.strip());
			allowed.add(uri.getScheme() + "://" + uri.getAuthority());
		}
		return HttpServletStatelessServerTransport.builder()
			.jsonMapper(new JacksonMcpJsonMapper(json))
			.securityValidator(io.modelcontextprotocol.server.transport.DefaultServerTransportSecurityValidator.builder()
				.allowedOrigins(allowed)
				.build())
			.messageEndpoint(ProtectedResources.MCP)
			.maxRequestSize(1 << 20)
			// The security chain has put the caller in the security context of this (the servlet's) thread.
			.contextExtractor(request -> Caller.of(SecurityContextHolder.getContext().getAuthentication())
				.map(caller -> McpTransportContext.create(Map.of(CALLER, caller)))
				.orElse(McpTransportContext.EMPTY))
			.build();
	}

	/** Checks each posted message's shape before the SDK sees it (after authentication). */
	@Bean
	org.springframework.boot.web.servlet.FilterRegistrationBean<McpRequests> mcpRequests(ObjectMapper json) {
		var registration = new org.springframework.boot.web.servlet.FilterRegistrationBean<>(new McpRequests(json));
		registration.addUrlPatterns(ProtectedResources.MCP);
		return registration;
	}

	@Bean
	ServletRegistrationBean<HttpServletStatelessServerTransport> mcpServlet(HttpServletStatelessServerTransport transport) {
		var registration = new ServletRegistrationBean<>(transport, ProtectedResources.MCP);
		registration.setName("mcp");
		registration.setLoadOnStartup(1);
		return registration;
	}

	@Bean(destroyMethod = "close")
	McpStatelessSyncServer mcpServer(HttpServletStatelessServerTransport transport, McpTools own, List<AppTool> others,
			ToolCalls calls, ObjectMapper json, ObjectProvider<BuildProperties> build) {
		var tools = new ArrayList<AppTool>(own.tools());
		tools.addAll(others);
		var scopes = new java.util.HashMap<String, String>();
		tools.forEach(tool -> scopes.put(tool.name(), tool.scope()));
		var mapper = new JacksonMcpJsonMapper(json);
		var version = build.getIfAvailable() == null ? "dev" : build.getIfAvailable().getVersion();
		return McpServer.sync(transport)
			.serverInfo("familiar", version)
			.instructions("Familiar is the person's own AI account. memory_search finds what they told Familiar and share "
					+ "with you; memory_add keeps something for later; ask gets a reply from their AI with their "
					+ "preferences. Read " + PREFERENCES + " for how they like answers.")
			.capabilities(McpSchema.ServerCapabilities.builder().tools(false).resources(false, false).build())
			.jsonMapper(mapper)
			.immediateExecution(true)
			.addToolFilter((context, tool) -> caller(context) instanceof Caller caller
					&& caller.allows(scopes.getOrDefault(tool.name(), "none")))
			.tools(tools.stream().map(tool -> specification(tool, mapper, calls)).toList())
			.resources(new McpStatelessServerFeatures.SyncResourceSpecification(McpSchema.Resource.builder()
				.uri(PREFERENCES)
				.name("preferences")
				.title("How I like answers")
				.description("The person's chosen personality and the preferences they share with this app")
				.mimeType("text/markdown")
				.build(), (context, request) -> {
					var caller = caller(context);
					if (caller == null || !caller.allows(Scopes.MEMORY_READ)) {
						throw new io.modelcontextprotocol.spec.McpError(new McpSchema.JSONRPCResponse.JSONRPCError(
								McpSchema.ErrorCodes.INVALID_REQUEST, "This app was not allowed to read memories ("
										+ Scopes.MEMORY_READ + ").", null));
					}
					calls.record(caller, "resource:preferences", false);
					return new McpSchema.ReadResourceResult(List.of(
							new McpSchema.TextResourceContents(PREFERENCES, "text/markdown", own.preferences(caller))));
				}))
			.build();
	}

	private static McpStatelessServerFeatures.SyncToolSpecification specification(AppTool tool,
			JacksonMcpJsonMapper mapper, ToolCalls calls) {
		var definition = McpSchema.Tool.builder()
			.name(tool.name())
			.title(tool.title())
			.description(tool.description())
			.inputSchema(tool.inputSchema())
			.annotations(McpSchema.ToolAnnotations.builder().title(tool.title()).readOnlyHint(tool.readOnly())
				.destructiveHint(tool.name().contains("forget")).openWorldHint(false).build())
			.build();
		return new McpStatelessServerFeatures.SyncToolSpecification(definition, (context, request) -> {
			var caller = caller(context);
			if (caller == null) {
				return failure("Not signed in.");
			}
			if (!caller.allows(tool.scope())) {
				calls.record(caller, tool.name(), true);
				return failure("This app was not allowed '" + tool.scope() + "' (" + Scopes.describe(tool.scope())
						+ "). Ask the person to connect it again with that scope.");
			}
			try {
				var text = tool.handler().call(caller, request.arguments() == null ? Map.of() : request.arguments());
				calls.record(caller, tool.name(), false);
				return McpSchema.CallToolResult.builder().addTextContent(text).isError(false).build();
			}
			catch (AppTool.Refused | InvalidMemoryException | MemoryNotFoundException | QuotaExceededException
					| PlanForbiddenException | ModelNotFoundException | UnsupportedFieldException | CapacityExceededException
					| InvalidRequestException | org.familiar.identity.ScopeMissingException ex) {
				calls.record(caller, tool.name(), true);
				return failure(ex instanceof MemoryNotFoundException ? "No such memory (or this app may not see it)." : ex.getMessage());
			}
			catch (BackendException ex) {
				calls.record(caller, tool.name(), true);
				log.info("MCP tool {} for {}: the backend failed: {}", tool.name(), caller.app(), ex.getMessage());
				return failure("The model's server failed to answer; try again in a moment.");
			}
		});
	}

	private static McpSchema.CallToolResult failure(String message) {
		return McpSchema.CallToolResult.builder().addTextContent(message).isError(true).build();
	}

	private static Caller caller(McpTransportContext context) {
		return context.get(CALLER) instanceof Caller caller ? caller : null;
	}
}
