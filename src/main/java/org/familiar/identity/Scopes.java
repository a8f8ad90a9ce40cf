package org.familiar.identity;

import java.util.LinkedHashMap;
import java.util.Map;

/** The scopes an app can ask for, with what each lets it do in plain words (for the consent page). */
public final class Scopes {

	public static final String OPENID = "openid";

	public static final String PROFILE = "profile";

	public static final String EMAIL = "email";

	/** Call {@code /v1} as the person, on their plan. */
	public static final String ASSISTANT = "familiar.assistant";

	/** Read the memories the person shares with apps, and have them shape the app's replies. */
	public static final String MEMORY_READ = "familiar.memory.read";

	/** Add to and change the person's memories. */
	public static final String MEMORY_WRITE = "familiar.memory.write";

	/**
	 * Run the person's evaluation suites and read their scores; never the items or replies of a
	 * held-out suite, which only the person sees.
	 */
	public static final String RESEARCH = "familiar.research";

	/** A linked device: report the person's context from it and receive the notifications shown on it. */
	public static final String DEVICE = "familiar.device";

	/** Send the person notifications, which Familiar shows when and where its attention policy decides. */
	public static final String NOTIFY = "familiar.notify";

	public static final Map<String, String> DESCRIPTIONS;

	static {
		var descriptions = new LinkedHashMap<String, String>();
		descriptions.put(OPENID, "Know that you are signed in with Familiar");
		descriptions.put(PROFILE, "See your Familiar username");
		descriptions.put(EMAIL, "See your email address, if Familiar has one");
		descriptions.put(ASSISTANT, "Chat with your AI as you, using your plan (within the monthly cap you set below)");
		descriptions.put(MEMORY_READ, "Read the memories you share with apps, and let them shape its replies");
		descriptions.put(MEMORY_WRITE, "Add to and change your memories");
		descriptions.put(RESEARCH, "Upload and run your evaluation suites and see their scores, on your plan (never the items of your held-out suites)");
		descriptions.put(DEVICE, "Be one of your devices: tell Familiar what you are doing there (in a meeting, driving, asleep) and show the notifications Familiar decides to show on it");
		descriptions.put(NOTIFY, "Send you notifications, which Familiar shows when and where it judges best (or keeps for your digest)");
		DESCRIPTIONS = java.util.Collections.unmodifiableMap(descriptions);
	}

	/** The MCP tools each scope opens to an MCP host, in plain words (for the consent page). */
	public static final Map<String, String> TOOLS = Map.of(
			MEMORY_READ, "memory_search (find what you share with apps), your preferences",
			MEMORY_WRITE, "memory_add (remember something, marked as this app's), memory_forget (only what this app wrote)",
			ASSISTANT, "ask (a reply from your AI, on your plan)",
			NOTIFY, "notify (a notification, shown when Familiar judges best)");

	public static String describe(String scope) {
		return DESCRIPTIONS.getOrDefault(scope, scope);
	}

	private Scopes() {
	}
}
