package org.familiar.compute.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * One pass of a streaming parser over an OpenAI response or chunk, building no tree: it notes what
 * metering and the web chat need (text, finish reason, usage, an error) and where the top-level
 * {@code id} and {@code model} values are, so {@link #rewrite} can splice in Familiar's own and
 * leave every other byte as the backend sent it.
 */
final class WireScan {

	private static final JsonFactory FACTORY = new JsonFactory();

	private final byte[] json;

	private int idStart = -1;

	private int idEnd = -1;

	private int modelStart = -1;

	private int modelEnd = -1;

	/** The choices' text in this chunk (choice 0 only: the web chat shows one reply). */
	final StringBuilder text = new StringBuilder();

	@Nullable String finishReason;

	int promptTokens = -1;

	int completionTokens = -1;

	/** Whether the body has a non-empty {@code choices} array. */
	boolean hasChoices;

	/** Whether the body has a {@code usage} object. */
	boolean hasUsage;

	@Nullable String error;

	private WireScan(byte[] json) {
		this.json = json;
	}

	/**
	 * Scans one JSON object.
	 * @throws IOException if it is not valid JSON
	 */
	static WireScan of(byte[] json) throws IOException {
		var scan = new WireScan(json);
		try (JsonParser parser = FACTORY.createParser(json)) {
			if (parser.nextToken() != JsonToken.START_OBJECT) {
				throw new IOException("expected a JSON object");
			}
			scan.top(parser);
		}
		return scan;
	}

	private void top(JsonParser parser) throws IOException {
		while (parser.nextToken() == JsonToken.FIELD_NAME) {
			var name = parser.currentName();
			var token = parser.nextToken();
			switch (name) {
				case "id" -> {
					if (token == JsonToken.VALUE_STRING) {
						idStart = (int) parser.currentTokenLocation().getByteOffset();
						parser.finishToken();
						idEnd = (int) parser.currentLocation().getByteOffset();
					}
					else {
						parser.skipChildren();
					}
				}
				case "model" -> {
					if (token == JsonToken.VALUE_STRING) {
						modelStart = (int) parser.currentTokenLocation().getByteOffset();
						parser.finishToken();
						modelEnd = (int) parser.currentLocation().getByteOffset();
					}
					else {
						parser.skipChildren();
					}
				}
				case "choices" -> {
					if (token == JsonToken.START_ARRAY) {
						choices(parser);
					}
					else {
						parser.skipChildren();
					}
				}
				case "usage" -> {
					if (token == JsonToken.START_OBJECT) {
						usage(parser);
					}
					else {
						parser.skipChildren();
					}
				}
				case "error" -> {
					error = token == JsonToken.START_OBJECT ? errorMessage(parser) : parser.getValueAsString("error");
					parser.skipChildren();
				}
				default -> parser.skipChildren();
			}
		}
	}

	private void choices(JsonParser parser) throws IOException {
		int index = 0;
		for (var element = parser.nextToken(); element != JsonToken.END_ARRAY && element != null; element = parser.nextToken()) {
			if (element != JsonToken.START_OBJECT) {
				parser.skipChildren();
				continue;
			}
			hasChoices = true;
			boolean first = index++ == 0;
			while (parser.nextToken() == JsonToken.FIELD_NAME) {
				var name = parser.currentName();
				var token = parser.nextToken();
				if ("finish_reason".equals(name) && token == JsonToken.VALUE_STRING) {
					if (first || finishReason == null) {
						finishReason = parser.getText();
					}
				}
				else if (("delta".equals(name) || "message".equals(name)) && token == JsonToken.START_OBJECT) {
					message(parser, first);
				}
				else if ("text".equals(name) && token == JsonToken.VALUE_STRING && first) {
					text.append(parser.getText());
				}
				else {
					parser.skipChildren();
				}
			}
		}
	}

	private void message(JsonParser parser, boolean first) throws IOException {
		while (parser.nextToken() == JsonToken.FIELD_NAME) {
			var name = parser.currentName();
			var token = parser.nextToken();
			if (first && "content".equals(name) && token == JsonToken.VALUE_STRING) {
				text.append(parser.getText());
			}
			else {
				parser.skipChildren();
			}
		}
	}

	private void usage(JsonParser parser) throws IOException {
		hasUsage = true;
		while (parser.nextToken() == JsonToken.FIELD_NAME) {
			var name = parser.currentName();
			var token = parser.nextToken();
			if (token == JsonToken.VALUE_NUMBER_INT && ("prompt_tokens".equals(name) || "input_tokens".equals(name))) {
				promptTokens = parser.getIntValue();
			}
			else if (token == JsonToken.VALUE_NUMBER_INT
					&& ("completion_tokens".equals(name) || "output_tokens".equals(name))) {
				completionTokens = parser.getIntValue();
			}
			else {
				parser.skipChildren();
			}
		}
	}

	private static String errorMessage(JsonParser parser) throws IOException {
		String message = null;
		while (parser.nextToken() == JsonToken.FIELD_NAME) {
			var name = parser.currentName();
			parser.nextToken();
			if ("message".equals(name) && parser.currentToken() == JsonToken.VALUE_STRING) {
				message = parser.getText();
			}
			else {
				parser.skipChildren();
			}
		}
		return message == null ? "(no message)" : message;
	}

	/** Whether the backend reported usage (an embedding's has no completion tokens). */
	boolean reportedUsage() {
		return promptTokens >= 0;
	}

	/** The body with Familiar's {@code id} and {@code model} in place of the backend's (each only if it had one). */
	byte[] rewrite(String id, String model) {
		if (idStart < 0 && modelStart < 0) {
			return json;
		}
		var quotedId = quoted(id);
		var quotedModel = quoted(model);
		// Splice in position order; the backend may send model before id.
		int firstStart = idStart;
		int firstEnd = idEnd;
		byte[] first = quotedId;
		int secondStart = modelStart;
		int secondEnd = modelEnd;
		byte[] second = quotedModel;
		if (firstStart < 0 || (secondStart >= 0 && secondStart < firstStart)) {
			firstStart = modelStart;
			firstEnd = modelEnd;
			first = quotedModel;
			secondStart = idStart;
			secondEnd = idEnd;
			second = quotedId;
		}
		int length = json.length - (firstEnd - firstStart) + first.length;
		if (secondStart >= 0) {
			length += second.length - (secondEnd - secondStart);
		}
		var out = new byte[length];
		System.arraycopy(json, 0, out, 0, firstStart);
		int at = firstStart;
		System.arraycopy(first, 0, out, at, first.length);
		at += first.length;
		if (secondStart >= 0) {
			System.arraycopy(json, firstEnd, out, at, secondStart - firstEnd);
			at += secondStart - firstEnd;
			System.arraycopy(second, 0, out, at, second.length);
			at += second.length;
			System.arraycopy(json, secondEnd, out, at, json.length - secondEnd);
		}
		else {
			System.arraycopy(json, firstEnd, out, at, json.length - firstEnd);
		}
		return out;
	}

	private static byte[] quoted(String value) {
		var escaped = JsonStringEncoder.getInstance().quoteAsUTF8(value);
		var out = new byte[escaped.length + 2];
		out[0] = '"';
		System.arraycopy(escaped, 0, out, 1, escaped.length);
		out[out.length - 1] = '"';
		return out;
	}
}
