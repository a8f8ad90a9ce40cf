package org.familiar.attention.internal;

import java.util.List;
import java.util.Map;
import org.familiar.assistant.AppTool;
import org.familiar.attention.AttentionManagement;
import org.familiar.attention.InvalidAttentionException;
import org.familiar.attention.Urgency;
import org.familiar.identity.Scopes;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The MCP tool {@code notify}: an app tells the person something, and attention decides when and where to show it. */
@Configuration(proxyBeanMethods = false)
class NotifyTool {


	@Bean
	AppTool notify(AttentionManagement attention, com.fasterxml.jackson.databind.ObjectMapper json) {
		var schema = Map.<String, Object>of("type", "object", "additionalProperties", false, "required", List.of("title"),
				"properties", Map.of(
						"title", Map.of("type", "string", "description", "What it is about, at most 200 characters"),
						"body", Map.of("type", "string", "description", "More, if needed (at most 4,000 characters)"),
						"urgency", Map.of("type", "string", "enum", List.of("low", "normal", "high", "critical"),
								"description", "How soon the person should see it (default normal); critical breaks through quiet hours"),
						"topic", Map.of("type", "string", "description", "A word or two, e.g. 'travel', so the person can mute a topic")));
		return new AppTool("notify", "Notify me",
				"Send the person a notification. Familiar shows it on the right device at the right time, or keeps it "
						+ "for their digest, and says which: the result names the decision and the reason.",
				Scopes.NOTIFY, schema, false, (caller, arguments) -> {
					try {
						var urgency = arguments.get("urgency") instanceof String text ? Urgency.of(text) : Urgency.NORMAL;
						var n = attention.notify(caller, new AttentionManagement.Outgoing(
								arguments.get("title") instanceof String title ? title : "",
								arguments.get("body") instanceof String body ? body : null, urgency,
								arguments.get("topic") instanceof String topic ? topic : null, null, null));
						return json.writeValueAsString(Map.of("id", n.id().toString(), "decision", n.decision(), "reason", n.reason()));
					}
					catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
						throw new IllegalStateException(ex);
					}
					catch (InvalidAttentionException ex) {
						throw new AppTool.Refused(ex.getMessage());
					}
				});
	}
}
