package org.familiar.memory.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.familiar.identity.PersonId;
import org.familiar.memory.Memory;
import org.familiar.memory.MemoryId;
import org.familiar.memory.MemoryKind;
import org.familiar.memory.MemorySettings;
import org.familiar.memory.MemorySource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * Retrieval quality on the labelled set in {@code memory/recall-set.json} (60 memories, 40
 * questions), with the real embedding model and the settings Familiar ships with, and the
 * binary-quantised search for large books against the exact one.
 */
class MemoryRetrievalTests {

	static final Embeddings embeddings = new Embeddings();

	static final MemorySettings defaults = new Binder(new MapConfigurationPropertySource(Map.of()))
		.bindOrCreate("familiar.memory", MemorySettings.class);

	static JsonNode set;

	@BeforeAll
	static void load() throws IOException {
		try (var in = MemoryRetrievalTests.class.getResourceAsStream("/memory/recall-set.json")) {
			set = new ObjectMapper().readTree(in);
		}
	}

	@Test
	void findsTheRelevantMemoryInTheTopFiveForNineQuestionsInTen() {
		var ids = new HashMap<MemoryId, String>();
		var memories = new ArrayList<Memory>();
		var vectors = new ArrayList<float[]>();
		var person = PersonId.random();
		for (var node : set.path("memories")) {
			var memory = memory(person, node.path("content").asText());
			ids.put(memory.id(), node.path("id").asText());
			memories.add(memory);
			vectors.add(embeddings.passage(memory.content()));
		}
		var book = MemoryBook.of(1, memories, vectors);
		assertThat(book.size()).isGreaterThanOrEqualTo(50);

		double recallSum = 0;
		int hits = 0;
		int queries = 0;
		var misses = new ArrayList<String>();
		for (var query : set.path("queries")) {
			var relevant = new HashSet<String>();
			query.path("relevant").forEach(r -> relevant.add(r.asText()));
			var found = book.search(embeddings.query(query.path("query").asText()), 5, defaults.threshold(), m -> true,
					defaults.exactScanLimit(), defaults.candidates());
			var top = found.stream().map(s -> ids.get(s.memory().id())).toList();
			long retrieved = relevant.stream().filter(top::contains).count();
			recallSum += (double) retrieved / relevant.size();
			if (top.contains(query.path("relevant").get(0).asText())) {
				hits++;
			}
			else {
				misses.add(query.path("query").asText() + " -> " + top);
			}
			queries++;
		}
		for (double threshold = 0.30; threshold < 0.66; threshold += 0.05) {
			double sweep = 0;
			for (var query : set.path("queries")) {
				var relevant = new HashSet<String>();
				query.path("relevant").forEach(r -> relevant.add(r.asText()));
				var top = book.search(embeddings.query(query.path("query").asText()), 5, threshold, m -> true, 4096, 400)
					.stream().map(s -> ids.get(s.memory().id())).toList();
				sweep += (double) relevant.stream().filter(top::contains).count() / relevant.size();
			}
			System.out.printf("  threshold %.2f: recall@5 %.3f%n", threshold, sweep / queries);
		}
		double recall = recallSum / queries;
		double primary = (double) hits / queries;
		System.out.printf("memory retrieval: %d memories, %d queries, threshold %.2f: recall@5 %.3f, first relevant in top 5 %.3f%n",
				book.size(), queries, defaults.threshold(), recall, primary);
		misses.forEach(miss -> System.out.println("  missed: " + miss));
		assertThat(queries).isGreaterThanOrEqualTo(30);
		assertThat(recall).isGreaterThanOrEqualTo(0.9);
	}

	@Test
	void binaryScanOfALargeBookFindsWhatTheExactScanFinds() {
		// Clustered vectors like real embeddings: 200 topics, 20,000 memories around them.
		var random = new Random(42);
		var topics = new ArrayList<float[]>();
		for (int t = 0; t < 200; t++) {
			topics.add(Embeddings.unit(gaussian(random, 1.0f, null)));
		}
		var person = PersonId.random();
		var memories = new ArrayList<Memory>();
		var vectors = new ArrayList<float[]>();
		for (int i = 0; i < 20_000; i++) {
			memories.add(memory(person, "memory " + i));
			vectors.add(Embeddings.unit(gaussian(random, 0.6f, topics.get(i % topics.size()))));
		}
		var book = MemoryBook.of(1, memories, vectors);
		int agree = 0;
		int total = 0;
		for (int q = 0; q < 100; q++) {
			var query = Embeddings.unit(gaussian(random, 0.3f, vectors.get(random.nextInt(vectors.size()))));
			var exact = book.exact(query, 5, m -> true).stream().map(s -> s.memory().id()).toList();
			var fast = book.search(query, 5, -1, m -> true, 4096, defaults.candidates()).stream().map(s -> s.memory().id()).toList();
			agree += (int) exact.stream().filter(fast::contains).count();
			total += exact.size();
		}
		double overlap = (double) agree / total;
		System.out.printf("binary scan vs exact at 20,000 memories: top-5 overlap %.3f%n", overlap);
		assertThat(overlap).isGreaterThanOrEqualTo(0.95);
	}

	@Test
	void visibilityAppliesInsideTheSearch() {
		var person = PersonId.random();
		var shared = memory(person, "Is vegetarian.");
		var secret = new Memory(MemoryId.random(), person, "Is vegan.", MemoryKind.FACT, MemorySource.APP, "token:a",
				List.of("token:a"), Instant.EPOCH, Instant.EPOCH, null, 0);
		var book = MemoryBook.of(1, List.of(shared, secret),
				List.of(embeddings.passage(shared.content()), embeddings.passage(secret.content())));
		var query = embeddings.query("What do I eat?");
		assertThat(book.search(query, 5, -1, m -> m.visibleTo("token:b"), 4096, 400)).extracting(s -> s.memory().id())
			.containsExactly(shared.id());
		assertThat(book.search(query, 5, -1, m -> m.visibleTo("token:a"), 4096, 400)).hasSize(2);
		assertThat(book.without(2, java.util.Set.of(shared.id())).search(query, 5, -1, m -> true, 4096, 400))
			.extracting(s -> s.memory().id())
			.containsExactly(secret.id());
	}

	private static float[] gaussian(Random random, float scale, float[] around) {
		var vector = new float[Embeddings.DIMENSIONS];
		for (int i = 0; i < vector.length; i++) {
			vector[i] = (around == null ? 0 : around[i]) + (float) random.nextGaussian() * scale / (float) Math.sqrt(vector.length);
		}
		return vector;
	}

	private static Memory memory(PersonId person, String content) {
		return new Memory(new MemoryId(UUID.randomUUID()), person, content, MemoryKind.FACT, MemorySource.MANUAL, null,
				List.of(Memory.EVERY_APP), Instant.EPOCH, Instant.EPOCH, null, 0);
	}
}
