package org.familiar.assistant;

import java.util.Map;
import org.familiar.identity.Caller;

/**
 * A tool another module offers apps through Familiar's MCP server ({@code /mcp}), next to the
 * assistant's own: a bean of this type is listed to apps holding {@code scope} and called as the
 * person, attributed to the app.
 *
 * @param name the tool's name ({@code notify})
 * @param description what it does, in words a model and a person understand (the consent page shows it)
 * @param inputSchema its arguments as a JSON Schema object
 */
public record AppTool(String name, String title, String description, String scope, Map<String, Object> inputSchema,
		boolean readOnly, Handler handler) {

	/** Runs the tool: returns its result as text, or throws {@link Refused} with what the app should know. */
	@FunctionalInterface
	public interface Handler {

		String call(Caller caller, Map<String, Object> arguments);
	}

	/** The tool could not do what was asked, for a reason the app (and its model) should read. */
	public static class Refused extends RuntimeException {

		public Refused(String message) {
			super(message);
		}
	}
}
