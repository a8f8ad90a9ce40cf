package org.familiar;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.deser.std.StringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * JSON strings that Familiar binds to its own types (memories, chat messages, research requests,
 * …) must be text a database can store and UTF-8 can encode: no NUL character and no unpaired
 * surrogate. Anything else is refused while the body is read, so the client gets a 400 naming the
 * field instead of a server error from the database later. Passed-through JSON (a {@code /v1}
 * message's content, kept as a tree) is not touched.
 */
final class WellFormedText {

	private WellFormedText() {
	}

	static SimpleModule module() {
		return new SimpleModule("well-formed-text").addDeserializer(String.class, new Strings());
	}

	/** Where {@code text} is not well formed, or {@code null}. */
	static @Nullable String problem(String text) {
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (c == 0) {
				return "contains a NUL character (\\u0000)";
			}
			if (Character.isHighSurrogate(c)) {
				if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
					i++;
					continue;
				}
				return "contains an unpaired surrogate (\\u" + Integer.toHexString(c) + ")";
			}
			if (Character.isLowSurrogate(c)) {
				return "contains an unpaired surrogate (\\u" + Integer.toHexString(c) + ")";
			}
		}
		return null;
	}

	private static final class Strings extends StdScalarDeserializer<String> {

		Strings() {
			super(String.class);
		}

		@Override
		public @Nullable String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
			var text = StringDeserializer.instance.deserialize(parser, context);
			var problem = text == null ? null : problem(text);
			if (problem != null) {
				throw context.weirdStringException(text.length() > 40 ? text.substring(0, 40) + "…" : text,
						String.class, "the text " + problem);
			}
			return text;
		}
	}
}
