package org.familiar.research;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How much of a suite appears in a text corpus: an item is flagged when any run of {@code n}
 * consecutive words of its input or target occurs in the corpus (words lower-cased, punctuation
 * dropped), the usual contamination check for benchmarks (n = 13 in GPT-3's report).
 */
public final class NgramOverlap {

	/** The items flagged, and the share of the suite they are. */
	public record Report(int n, int items, List<String> flagged, double fraction) {
	}

	private NgramOverlap() {
	}

	public static Report check(Suite suite, Reader corpus, int n) throws IOException {
		var wanted = new HashSet<String>();
		var byItem = new ArrayList<Set<String>>();
		for (var item : suite.items()) {
			var text = new StringBuilder();
			item.input().forEach(message -> text.append(message.content()).append(' '));
			text.append(item.target());
			var grams = grams(words(text.toString()), n);
			byItem.add(grams);
			wanted.addAll(grams);
		}
		var found = new HashSet<String>();
		var window = new java.util.ArrayDeque<String>(n);
		try (var lines = new BufferedReader(corpus)) {
			String line;
			while ((line = lines.readLine()) != null) {
				for (var word : words(line)) {
					if (window.size() == n) {
						window.removeFirst();
					}
					window.addLast(word);
					if (window.size() == n) {
						var gram = String.join(" ", window);
						if (wanted.contains(gram)) {
							found.add(gram);
						}
					}
				}
			}
		}
		var flagged = new ArrayList<String>();
		for (int i = 0; i < byItem.size(); i++) {
			if (byItem.get(i).stream().anyMatch(found::contains)) {
				flagged.add(suite.items().get(i).id());
			}
		}
		return new Report(n, suite.items().size(), flagged,
				suite.items().isEmpty() ? 0 : (double) flagged.size() / suite.items().size());
	}

	static List<String> words(String text) {
		var words = new ArrayList<String>();
		for (var word : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
			if (!word.isEmpty()) {
				words.add(word);
			}
		}
		return words;
	}

	private static Set<String> grams(List<String> words, int n) {
		var grams = new HashSet<String>();
		for (int i = 0; i + n <= words.size(); i++) {
			grams.add(String.join(" ", words.subList(i, i + n)));
		}
		return grams;
	}
}
