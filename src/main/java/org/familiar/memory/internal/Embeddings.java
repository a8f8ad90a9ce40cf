package org.familiar.memory.internal;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15q.BgeSmallEnV15QuantizedEmbeddingModel;
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
public class Embeddings {

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
					// Its own executor only for embedAll's parallelism; the default is a fixed platform pool.
					loaded = new BgeSmallEnV15QuantizedEmbeddingModel(Executors.newVirtualThreadPerTaskExecutor());
					model = loaded;
				}
			}
		}
		return loaded;
	}

	/** The embedding of a memory's text. */
	public float[] passage(String text) {
		return unit(model().embed(text).content().vector());
	}

	/** The embedding of a question to search memories with. */
	public float[] query(String text) {
		return unit(model().embed(QUERY_PREFIX + text).content().vector());
	}

	/** Embeddings of many memories' texts at once (used by benchmarks and bulk imports). */
	public List<float[]> passages(List<String> texts) {
		return model().embedAll(texts.stream().map(TextSegment::from).toList())
			.content()
			.stream()
			.map(e -> unit(e.vector()))
			.toList();
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
