package org.familiar.memory.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import org.familiar.identity.PersonId;
import org.familiar.memory.Memory;
import org.familiar.memory.MemoryId;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemorySource;

/**
 * The in-process half of {@code bench/memory}: embedding throughput, then retrieval latency for one
 * person with 1,000, 10,000 and 100,000 memories (warm index, as on the request path), and how
 * often the binary-quantised scan returns the exact top five.
 *
 * <p>Embedding 100,000 sentences would take minutes here, so {@code REAL} generated sentences are
 * embedded and the rest of a large book is made of blends of two real embeddings plus noise, which
 * keeps the clustered shape of real ones. Run: {@code java -cp ... MemoryBench [REAL]}.
 */
public final class MemoryBench {

	static final String[] PETS = { "dog", "cat", "parrot", "rabbit", "tortoise", "hamster", "goldfish", "horse" };
	static final String[] NAMES = { "Pixel", "Miso", "Luna", "Bruno", "Kiwi", "Otto", "Nala", "Ziggy", "Pepper", "Mango" };
	static final String[] JOBS = { "nurse", "teacher", "backend engineer", "carpenter", "accountant", "chef", "pilot",
			"architect", "journalist", "physiotherapist" };
	static final String[] CITIES = { "Lisbon", "Graz", "Osaka", "Porto", "Montreal", "Nairobi", "Bergen", "Valencia",
			"Hanoi", "Denver", "Tallinn", "Cusco" };
	static final String[] FOODS = { "Indian curries", "sushi", "sourdough bread", "Thai noodles", "dark chocolate",
			"spicy ramen", "Greek salads", "mushroom risotto", "falafel", "pho" };
	static final String[] LANGS = { "Japanese", "Spanish", "Korean", "Italian", "Swahili", "Finnish", "Portuguese" };
	static final String[] HOBBIES = { "bouldering", "birdwatching", "classical guitar", "chess", "pottery", "trail running",
			"knitting", "sailing", "photography", "woodworking", "jazz piano", "gardening" };
	static final String[] PEOPLE = { "sister", "brother", "partner", "daughter", "son", "mother", "father", "best friend" };
	static final String[] TIMES = { "on weekends", "every morning", "twice a week", "in the summer", "after work",
			"on Sundays", "once a month", "every evening" };

	public static void main(String[] args) {
		if (args.length > 1 && args[0].equals("--print-sentences")) {
			sentences(new Random(11), Integer.parseInt(args[1])).forEach(System.out::println);
			return;
		}
		int real = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
		var random = new Random(7);
		var embeddings = new Embeddings();
		embeddings.passage("warm up");

		var sentences = new ArrayList<>(sentences(random, real));
		var start = System.nanoTime();
		int single = 200;
		for (int i = 0; i < single; i++) {
			embeddings.passage(sentences.get(i));
		}
		double oneThread = single / ((System.nanoTime() - start) / 1e9);
		start = System.nanoTime();
		var vectors = new ArrayList<float[]>(embeddings.passages(sentences));
		double batched = sentences.size() / ((System.nanoTime() - start) / 1e9);
		var queries = new ArrayList<float[]>();
		start = System.nanoTime();
		for (var question : questions(random, 300)) {
			queries.add(embeddings.query(question));
		}
		double queryMs = (System.nanoTime() - start) / 1e6 / queries.size();
		System.out.printf("embedding (bge-small-en-v1.5 q, %d cores): %.0f sentences/s on one thread, %.0f sentences/s batched; a query %.2f ms%n",
				Runtime.getRuntime().availableProcessors(), oneThread, batched, queryMs);

		var person = PersonId.random();
		System.out.printf("%-9s %-10s %8s %8s %8s %11s%n", "memories", "search", "p50_ms", "p99_ms", "max_ms", "top5_exact");
		for (int size : new int[] { 1_000, 10_000, 100_000 }) {
			var memories = new ArrayList<Memory>(size);
			var bookVectors = new ArrayList<float[]>(size);
			for (int i = 0; i < size; i++) {
				memories.add(new Memory(MemoryId.random(), person, i < sentences.size() ? sentences.get(i) : "blend " + i,
						MemoryKind.FACT, MemorySource.MANUAL, null, List.of(Memory.EVERY_APP), Instant.EPOCH, Instant.EPOCH,
						null, 0));
				bookVectors.add(i < vectors.size() ? vectors.get(i) : blend(random, vectors));
			}
			var book = MemoryBook.of(1, memories, bookVectors);
			var mode = size <= 4096 ? "exact" : "binary";
			// Warm up the JIT, then time as many searches as the request path would make.
			for (int i = 0; i < 300; i++) {
				book.search(queries.get(i % queries.size()), 5, 0.4, m -> m.visibleTo(null), 4096, 400);
			}
			int runs = 2_000;
			var times = new double[runs];
			for (int i = 0; i < runs; i++) {
				var t = System.nanoTime();
				book.search(queries.get(i % queries.size()), 5, 0.4, m -> m.visibleTo(null), 4096, 400);
				times[i] = (System.nanoTime() - t) / 1e6;
			}
			Arrays.sort(times);
			int agree = 0;
			int total = 0;
			for (int q = 0; q < 100; q++) {
				var exact = book.exact(queries.get(q), 5, m -> true).stream().map(s -> s.memory().id()).toList();
				var fast = book.search(queries.get(q), 5, -1, m -> true, 4096, 400).stream().map(s -> s.memory().id()).toList();
				agree += (int) exact.stream().filter(fast::contains).count();
				total += exact.size();
			}
			System.out.printf("%-9d %-10s %8.3f %8.3f %8.3f %11.3f%n", size, mode, times[runs / 2], times[runs * 99 / 100],
					times[runs - 1], (double) agree / total);
		}
	}

	static List<String> sentences(Random random, int count) {
		var out = new LinkedHashSet<String>();
		while (out.size() < count) {
			out.add(switch (random.nextInt(8)) {
				case 0 -> "Has a %s named %s.".formatted(pick(random, PETS), pick(random, NAMES));
				case 1 -> "Works as a %s in %s.".formatted(pick(random, JOBS), pick(random, CITIES));
				case 2 -> "Loves %s, especially %s.".formatted(pick(random, FOODS), pick(random, TIMES));
				case 3 -> "Is learning %s for a trip to %s.".formatted(pick(random, LANGS), pick(random, CITIES));
				case 4 -> "Goes %s %s with their %s.".formatted(pick(random, HOBBIES), pick(random, TIMES), pick(random, PEOPLE));
				case 5 -> "Their %s %s lives in %s.".formatted(pick(random, PEOPLE), pick(random, NAMES), pick(random, CITIES));
				case 6 -> "Wants to get better at %s this year.".formatted(pick(random, HOBBIES));
				default -> "Visited %s in %d and loved the %s.".formatted(pick(random, CITIES), 1990 + random.nextInt(35),
						pick(random, FOODS));
			});
		}
		return new ArrayList<>(out);
	}

	static List<String> questions(Random random, int count) {
		var out = new ArrayList<String>();
		for (int i = 0; i < count; i++) {
			out.add(switch (random.nextInt(5)) {
				case 0 -> "What should I feed my %s?".formatted(pick(random, PETS));
				case 1 -> "Plan a weekend in %s for me".formatted(pick(random, CITIES));
				case 2 -> "Find me a recipe with %s".formatted(pick(random, FOODS));
				case 3 -> "How do I get started with %s?".formatted(pick(random, HOBBIES));
				default -> "Gift ideas for my %s".formatted(pick(random, PEOPLE));
			});
		}
		return out;
	}

	static float[] blend(Random random, List<float[]> real) {
		var a = real.get(random.nextInt(real.size()));
		var b = real.get(random.nextInt(real.size()));
		float w = random.nextFloat();
		var v = new float[a.length];
		for (int i = 0; i < v.length; i++) {
			v[i] = w * a[i] + (1 - w) * b[i] + (float) random.nextGaussian() * 0.02f;
		}
		return Embeddings.unit(v);
	}

	private static String pick(Random random, String[] options) {
		return options[random.nextInt(options.length)];
	}

	private MemoryBench() {
	}
}
