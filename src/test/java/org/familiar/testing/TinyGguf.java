package org.familiar.testing;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes the same random Llama model as {@link TinyModel}, in llama.cpp's GGUF format (v3, F32
 * tensors, a sentencepiece vocabulary of byte tokens), so {@code bench/embedded} can run both
 * engines on identical shapes.
 */
public final class TinyGguf {

	private static final int STRING = 8, ARRAY = 9, UINT32 = 4, INT32 = 5, FLOAT32 = 6;

	private static final int ALIGNMENT = 32;

	private TinyGguf() {
	}

	public static Path write(Path file, int hidden, int layers) throws IOException {
		int heads = Math.max(1, hidden / 32);
		int ff = hidden * 2;
		int vocab = TinyModel.VOCAB;
		var tensors = new LinkedHashMap<String, long[]>();
		tensors.put("token_embd.weight", new long[] { hidden, vocab });
		for (int i = 0; i < layers; i++) {
			var b = "blk." + i + ".";
			tensors.put(b + "attn_norm.weight", new long[] { hidden });
			tensors.put(b + "attn_q.weight", new long[] { hidden, hidden });
			tensors.put(b + "attn_k.weight", new long[] { hidden, hidden });
			tensors.put(b + "attn_v.weight", new long[] { hidden, hidden });
			tensors.put(b + "attn_output.weight", new long[] { hidden, hidden });
			tensors.put(b + "ffn_norm.weight", new long[] { hidden });
			tensors.put(b + "ffn_gate.weight", new long[] { hidden, ff });
			tensors.put(b + "ffn_up.weight", new long[] { hidden, ff });
			tensors.put(b + "ffn_down.weight", new long[] { ff, hidden });
		}
		tensors.put("output_norm.weight", new long[] { hidden });
		tensors.put("output.weight", new long[] { hidden, vocab });

		var meta = new ByteArrayWriter();
		int kvs = 0;
		kvs += meta.kv("general.architecture", "llama");
		kvs += meta.kv("general.name", "familiar-bench");
		kvs += meta.kvU32("general.alignment", ALIGNMENT);
		kvs += meta.kvU32("llama.context_length", 512);
		kvs += meta.kvU32("llama.embedding_length", hidden);
		kvs += meta.kvU32("llama.block_count", layers);
		kvs += meta.kvU32("llama.feed_forward_length", ff);
		kvs += meta.kvU32("llama.attention.head_count", heads);
		kvs += meta.kvU32("llama.attention.head_count_kv", heads);
		kvs += meta.kvU32("llama.rope.dimension_count", hidden / heads);
		kvs += meta.kvF32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
		kvs += meta.kv("tokenizer.ggml.model", "llama");
		String[] tokens = new String[vocab];
		float[] scores = new float[vocab];
		int[] types = new int[vocab];
		tokens[0] = "<unk>"; types[0] = 2;
		tokens[1] = "<s>"; types[1] = 3;
		tokens[2] = "</s>"; types[2] = 3;
		for (int b = 0; b < 256; b++) {
			tokens[3 + b] = String.format("<0x%02X>", b);
			types[3 + b] = 6;
		}
		tokens[259] = "▁";
		types[259] = 1;
		kvs += meta.strings("tokenizer.ggml.tokens", tokens);
		kvs += meta.floats("tokenizer.ggml.scores", scores);
		kvs += meta.ints("tokenizer.ggml.token_type", types);
		kvs += meta.kvU32("tokenizer.ggml.bos_token_id", 1);
		kvs += meta.kvU32("tokenizer.ggml.eos_token_id", 2);
		kvs += meta.kvU32("tokenizer.ggml.unknown_token_id", 0);

		var infos = new ByteArrayWriter();
		long offset = 0;
		for (Map.Entry<String, long[]> t : tensors.entrySet()) {
			infos.string(t.getKey());
			infos.u32(t.getValue().length);
			for (long d : t.getValue()) {
				infos.u64(d);
			}
			infos.u32(0);
			infos.u64(offset);
			offset = align(offset + 4 * elements(t.getValue()));
		}

		var random = new SplittableRandom(42);
		try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
			var header = new ByteArrayWriter();
			header.raw("GGUF".getBytes(StandardCharsets.US_ASCII));
			header.u32(3);
			header.u64(tensors.size());
			header.u64(kvs);
			out.write(header.bytes());
			out.write(meta.bytes());
			out.write(infos.bytes());
			long written = header.size() + meta.size() + infos.size();
			out.write(new byte[(int) (align(written) - written)]);
			for (var t : tensors.entrySet()) {
				long n = elements(t.getValue());
				boolean norm = t.getValue().length == 1;
				var buffer = ByteBuffer.allocate((int) (4 * n)).order(ByteOrder.LITTLE_ENDIAN);
				while (buffer.hasRemaining()) {
					buffer.putFloat(norm ? 1.0f : (float) (random.nextDouble(-1, 1) * 0.08));
				}
				out.write(buffer.array());
				out.write(new byte[(int) (align(4 * n) - 4 * n)]);
			}
		}
		return file;
	}

	private static long align(long n) {
		return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
	}

	private static long elements(long[] shape) {
		long n = 1;
		for (long d : shape) {
			n *= d;
		}
		return n;
	}

	/** Little-endian GGUF primitives. */
	private static final class ByteArrayWriter {

		private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

		void raw(byte[] bytes) {
			out.writeBytes(bytes);
		}

		void u32(long v) {
			raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
		}

		void u64(long v) {
			raw(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
		}

		void f32(float v) {
			raw(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array());
		}

		void string(String s) {
			var bytes = s.getBytes(StandardCharsets.UTF_8);
			u64(bytes.length);
			raw(bytes);
		}

		int kv(String key, String value) {
			string(key);
			u32(STRING);
			string(value);
			return 1;
		}

		int kvU32(String key, long value) {
			string(key);
			u32(UINT32);
			u32(value);
			return 1;
		}

		int kvF32(String key, float value) {
			string(key);
			u32(FLOAT32);
			f32(value);
			return 1;
		}

		int strings(String key, String[] values) {
			string(key);
			u32(ARRAY);
			u32(STRING);
			u64(values.length);
			for (var v : values) {
				string(v);
			}
			return 1;
		}

		int floats(String key, float[] values) {
			string(key);
			u32(ARRAY);
			u32(FLOAT32);
			u64(values.length);
			for (var v : values) {
				f32(v);
			}
			return 1;
		}

		int ints(String key, int[] values) {
			string(key);
			u32(ARRAY);
			u32(INT32);
			u64(values.length);
			for (var v : values) {
				u32(v);
			}
			return 1;
		}

		byte[] bytes() {
			return out.toByteArray();
		}

		long size() {
			return out.size();
		}
	}
}
