package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.familiar.assistant.AppTool;
import org.familiar.identity.Caller;
import org.familiar.identity.Scopes;
import org.familiar.memory.Memory;
import org.familiar.memory.MemoryId;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemorySource;
import org.familiar.plans.PlansManagement;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * The assistant's own MCP tools: the person's memory (search, add, forget what this app wrote) and
 * their AI ({@code ask}, a reply through the same pipeline as {@code /v1}: the person's plan, the
 * memories this app may see, workload {@code app}), and the person's preferences as a resource.
 * Each tool needs the scope the person granted for it.
 */
@Component
class McpTools {

	static final int SEARCH_LIMIT = 20;

	private final MemoryManagement memory;

	private final ChatAdmission admission;

	private final PlansManagement plans;

	private final ObjectMapper json;

	McpTools(MemoryManagement memory, ChatAdmission admission, PlansManagement plans, ObjectMapper json) {
		this.memory = memory;
		this.admission = admission;
		this.plans = plans;
		this.json = json;
	}

	List<AppTool> tools() {
		var tools = new ArrayList<AppTool>();
		tools.add(new AppTool("memory_search", "Search my memory",
				"Search what Familiar remembers about the person (the memories they share with this app), by meaning "
						+ "and by words. Returns each memory's id, kind (fact or preference) and text.",
				Scopes.MEMORY_READ,
				schema(Map.of("query", string("What to look for, in a few words"), "limit",
						Map.of("type", "integer", "minimum", 1, "maximum", SEARCH_LIMIT, "description", "At most this many (default 10)")),
						"query"),
				true, this::search));
		tools.add(new AppTool("memory_add", "Remember something",
				"Add a short statement about the person to their Familiar memory (at most " + MemoryManagement.MAX_LENGTH
						+ " characters). It is marked as written by this app, shared with this app only, and the person "
						+ "can see, change or forget it.",
				Scopes.MEMORY_WRITE,
				schema(Map.of("content", string("The statement, e.g. 'Prefers window seats'"), "kind",
						Map.of("type", "string", "enum", List.of("fact", "preference"),
								"description", "fact (about them) or preference (how they like answers); guessed if left out")),
						"content"),
				false, this::add));
		tools.add(new AppTool("memory_forget", "Forget a memory this app wrote",
				"Forget, for good, a memory this app added (by its id from memory_add or memory_search). Memories the "
						+ "person or other apps wrote cannot be forgotten by this app.",
				Scopes.MEMORY_WRITE, schema(Map.of("id", string("The memory's id")), "id"), false, this::forget));
		tools.add(new AppTool("ask", "Ask my AI",
				"Ask the person's own AI: a reply written with their preferences and the memories they share with this "
						+ "app, on their plan (within the monthly cap they set for this app).",
				Scopes.ASSISTANT,
				schema(Map.of("question", string("The question or request"), "model",
						string("A model the person's plan includes; their default if left out")), "question"),
				true, this::ask));
		return tools;
	}

	private String search(Caller caller, Map<String, Object> arguments) {
		var query = text(arguments, "query", true);
		int limit = arguments.get("limit") instanceof Number n ? Math.max(1, Math.min(SEARCH_LIMIT, n.intValue())) : 10;
		var found = memory.search(caller, query, limit);
		if (found.isEmpty()) {
			return "Nothing found for \"" + query + "\".";
		}
		var lines = new ArrayList<Map<String, Object>>();
		for (var m : found) {
			lines.add(describe(m));
		}
		return write(Map.of("memories", lines));
	}

	private String add(Caller caller, Map<String, Object> arguments) {
		var content = text(arguments, "content", true);
		var kindText = text(arguments, "kind", false);
		var kind = kindText == null ? null : MemoryKind.of(kindText);
		var remembered = memory.remember(caller, content, kind, MemorySource.APP, null, null);
		var result = new LinkedHashMap<>(describe(remembered.memory()));
		result.put("merged", remembered.merged());
		return write(result);
	}

	private String forget(Caller caller, Map<String, Object> arguments) {
		var id = text(arguments, "id", true);
		var memoryId = MemoryId.parse(id);
		var found = memory.memory(caller, memoryId);
		if (found.source() != MemorySource.APP || !String.valueOf(caller.app()).equals(found.sourceRef())) {
			throw new AppTool.Refused("This app did not write that memory, so it cannot forget it; the person can, on "
					+ "Familiar's Memory page.");
		}
		memory.forget(caller, memoryId);
		return "Forgotten: " + found.content();
	}

	private String ask(Caller caller, Map<String, Object> arguments) {
		var question = text(arguments, "question", true);
		var model = text(arguments, "model", false);
		if (model == null) {
			model = plans.defaultModel(caller.person());
			if (model == null) {
				throw new AppTool.Refused("No model is available right now; try again later.");
			}
		}
		var body = json.createObjectNode();
		body.put("model", model);
		body.putArray("messages").addObject().put("role", "user").put("content", question);
		var admitted = admission.admit(caller, ChatBody.of(body), org.familiar.compute.RequestIds.next("mcp-"), true);
		var result = admission.run(admitted, piece -> {
		});
		return result.text() == null ? "" : result.text();
	}

	/** The person's preferences and personality, as this app may see them (the resource {@code familiar://me/preferences}). */
	String preferences(Caller caller) {
		var profile = memory.profile(caller.person());
		var text = new StringBuilder("# How ").append(caller.username()).append(" likes Familiar to answer\n\n");
		text.append("Personality: ").append(profile.personality().preset().label()).append(" — ")
			.append(profile.personality().instructions()).append("\n\n## Preferences\n");
		var preferences = memory.memories(caller, null, 200).stream().filter(m -> m.kind() == MemoryKind.PREFERENCE).toList();
		if (preferences.isEmpty()) {
			text.append("(none shared with this app)\n");
		}
		preferences.forEach(m -> text.append("- ").append(m.content()).append('\n'));
		return text.toString();
	}

	private static Map<String, Object> describe(Memory m) {
		var line = new LinkedHashMap<String, Object>();
		line.put("id", m.id().toString());
		line.put("kind", m.kind().id());
		line.put("content", m.content());
		line.put("source", m.source().id());
		return line;
	}

	private String write(Object value) {
		try {
			return json.writeValueAsString(value);
		}
		catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static @Nullable String text(Map<String, Object> arguments, String name, boolean required) {
		var value = arguments.get(name);
		if (value == null && !required) {
			return null;
		}
		if (!(value instanceof String text) || text.isBlank()) {
			throw new AppTool.Refused("'" + name + "' must be a non-empty string.");
		}
		return text;
	}

	private static Map<String, Object> string(String description) {
		return Map.of("type", "string", "description", description);
	}

	private static Map<String, Object> schema(Map<String, Object> properties, String... required) {
		var schema = new LinkedHashMap<String, Object>();
		schema.put("type", "object");
		schema.put("properties", new java.util.TreeMap<>(properties));
		schema.put("required", List.of(required));
		schema.put("additionalProperties", false);
		return schema;
	}
}
