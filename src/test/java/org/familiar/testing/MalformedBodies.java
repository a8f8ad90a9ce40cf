package org.familiar.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates malformed request bodies from a valid sample, seeded so a failure can be replayed:
 * values of the wrong type, nulls in arrays, duplicate keys, control characters and lone
 * surrogates, huge and deep values, truncated and non-UTF-8 text; and form bodies with missing,
 * duplicated, overlong and badly encoded fields.
 */
public final class MalformedBodies {

	private static final ObjectMapper JSON = new ObjectMapper();

	/** Values a field may be swapped for, as JSON text. */
	private static final List<String> VALUES = List.of("null", "true", "false", "0", "-1", "1e309", "-9223372036854775809",
			"1.5", "\"\"", "\" \"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff x\"", "\"x\\u0000y\"", "[]", "{}", "[null]",
			"[1,2]", "{\"a\":null}", "\"not-a-uuid\"", "\"00000000-0000-0000-0000-000000000000\"", "\"%00\"",
			"\"<script>alert(1)</script>\"", "\"" + "a".repeat(70_000) + "\"", "\"\\n\\r\\t\"", "\"🙂\"", "NaN",
			"\"2026-13-45\"", "[[[[[[[[[[]]]]]]]]]]", "\"' or 1=1 --\"", "\"=cmd|' /C calc'!A0\"");

	/** Whole bodies, whatever the endpoint. */
	private static final List<String> WHOLE = List.of("", "null", "[]", "\"text\"", "123", "{", "}", "{\"a\":", "[null]",
			"{\"a\":1,\"a\":2}", "\uFEFF{}", "{\"\\u0000\":1}", "[" .repeat(5000) + "]".repeat(5000),
			"{\"a\":" .repeat(3000) + "1" + "}".repeat(3000), "{'single':'quotes'}", "{\"a\":1}garbage", "\u0000");

	private final Random random;

	public MalformedBodies(long seed) {
		this.random = new Random(seed);
	}

	/** {@code count} JSON bodies (as bytes) made from {@code sample}. */
	public List<byte[]> json(String sample, int count) {
		var bodies = new ArrayList<byte[]>();
		for (var whole : WHOLE) {
			bodies.add(whole.getBytes(StandardCharsets.UTF_8));
		}
		bodies.add(new byte[] { '{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}' });
		bodies.add(new byte[] { (byte) 0xFF, (byte) 0xFE, '{', 0, '}', 0 });
		while (bodies.size() < count) {
			bodies.add(mutate(sample).getBytes(StandardCharsets.UTF_8));
		}
		return bodies;
	}

	private String mutate(String sample) {
		try {
			var tree = JSON.readTree(sample);
			return switch (random.nextInt(7)) {
				case 0 -> truncate(sample);
				case 1 -> duplicateKey(sample);
				case 2 -> {
					removeField(tree);
					yield tree.toString();
				}
				case 3 -> {
					if (tree instanceof ObjectNode object) {
						object.put("unknown_" + random.nextInt(100), random.nextInt());
					}
					yield swapValue(tree.toString());
				}
				default -> swapValue(sample);
			};
		}
		catch (Exception ex) {
			return truncate(sample);
		}
	}

	private String truncate(String text) {
		return text.substring(0, random.nextInt(Math.max(1, text.length())));
	}

	/** The first key of the sample again, with another value: {@code {"k":1,"k":…}}. */
	private String duplicateKey(String sample) {
		int start = sample.indexOf('"');
		int end = start < 0 ? -1 : sample.indexOf('"', start + 1);
		if (start < 0 || end < 0 || !sample.startsWith("{")) {
			return sample;
		}
		var key = sample.substring(start, end + 1);
		return "{" + key + ":" + pick(VALUES) + "," + sample.substring(1);
	}

	private void removeField(JsonNode tree) {
		if (tree instanceof ObjectNode object && !object.isEmpty()) {
			var names = new ArrayList<String>();
			object.fieldNames().forEachRemaining(names::add);
			object.remove(pick(names));
		}
	}

	/** Replaces one value, anywhere in the tree (array elements included), by text from {@link #VALUES}. */
	private String swapValue(String sample) {
		try {
			var tree = JSON.readTree(sample);
			var slots = new ArrayList<Runnable>();
			var marker = "\"__SWAP__\"";
			collect(tree, slots, JSON.readTree(marker));
			if (slots.isEmpty()) {
				return pick(VALUES);
			}
			pick(slots).run();
			return tree.toString().replace(marker, pick(VALUES));
		}
		catch (Exception ex) {
			return sample;
		}
	}

	private static void collect(JsonNode node, List<Runnable> slots, JsonNode marker) {
		if (node instanceof ObjectNode object) {
			var names = new ArrayList<String>();
			object.fieldNames().forEachRemaining(names::add);
			for (var name : names) {
				slots.add(() -> object.set(name, marker));
				collect(object.get(name), slots, marker);
			}
		}
		else if (node instanceof ArrayNode array) {
			for (int i = 0; i < array.size(); i++) {
				int index = i;
				slots.add(() -> array.set(index, marker));
				collect(array.get(i), slots, marker);
			}
		}
	}

	/** {@code count} url-encoded form bodies over {@code fields} (and a few names no endpoint knows). */
	public List<String> form(List<String> fields, int count) {
		var names = new ArrayList<>(fields);
		names.addAll(List.of("unknown", "_method", "id", "apps"));
		var bodies = new ArrayList<String>();
		bodies.add("");
		bodies.add("%");
		bodies.add("%zz=1");
		bodies.add("a=%C0%AE");
		bodies.add("=&=&&");
		while (bodies.size() < count) {
			var body = new StringBuilder();
			int pairs = random.nextInt(6);
			for (int i = 0; i < pairs; i++) {
				var name = pick(names);
				body.append(body.isEmpty() ? "" : "&").append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
					.append(formValue());
				if (random.nextInt(4) == 0) {
					// The same field twice.
					body.append('&').append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=').append(formValue());
				}
			}
			bodies.add(body.toString());
		}
		return bodies;
	}

	private String formValue() {
		return switch (random.nextInt(12)) {
			case 0 -> "";
			case 1 -> "%00";
			case 2 -> "%ED%A0%80";
			case 3 -> "a".repeat(10_000);
			case 4 -> "-1";
			case 5 -> "99999999999999999999999";
			case 6 -> "not-a-uuid";
			case 7 -> "%3Cscript%3E";
			case 8 -> "00000000-0000-0000-0000-000000000000";
			case 9 -> "true";
			case 10 -> "%E2%80%AE";
			default -> Integer.toString(random.nextInt(1000));
		};
	}

	/** A path variable's stand-in: a UUID nobody has, or something that is not one. */
	public String pathValue() {
		return switch (random.nextInt(5)) {
			case 0 -> "not-a-uuid";
			case 1 -> "%C0%AE";
			case 2 -> "-1";
			case 3 -> "a".repeat(300);
			default -> java.util.UUID.randomUUID().toString();
		};
	}

	private <T> T pick(List<T> from) {
		return from.get(random.nextInt(from.size()));
	}
}
