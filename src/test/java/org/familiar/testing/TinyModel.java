package org.familiar.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * Writes a small Llama-architecture model with random weights in the layout jlama (and the Hugging
 * Face hub) uses: {@code config.json}, a byte-fallback BPE {@code tokenizer.json}, and
 * {@code model.safetensors}. No model weights can be downloaded here, so tests and
 * {@code bench/embedded} generate one; its replies are gibberish, its mechanics are real.
 *
 * <p>Run alone: {@code java -cp … org.familiar.testing.TinyModel DIR [HIDDEN LAYERS]}.
 */
public final class TinyModel {

	private static final ObjectMapper JSON = new ObjectMapper();

	/** 3 special tokens, then the 256 byte tokens, then the word-boundary piece. */
	public static final int VOCAB = 3 + 256 + 1;

	private TinyModel() {
	}

	public static Path write(Path dir, int hidden, int layers) throws IOException {
		Files.createDirectories(dir);
		int heads = Math.max(1, hidden / 32);
		int intermediate = hidden * 2;
		var config = JSON.createObjectNode()
			.put("model_type", "llama")
			.put("hidden_size", hidden)
			.put("intermediate_size", intermediate)
			.put("num_attention_heads", heads)
			.put("num_key_value_heads", heads)
			.put("num_hidden_layers", layers)
			.put("max_position_embeddings", 512)
			.put("rms_norm_eps", 1e-5)
			.put("vocab_size", VOCAB)
			.put("bos_token_id", 1)
			.put("eos_token_id", 2)
			.put("hidden_act", "silu")
			.put("rope_theta", 10000.0)
			.put("tie_word_embeddings", false)
			.put("torch_dtype", "float32");
		config.putArray("architectures").add("LlamaForCausalLM");
		JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
		JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer());
		var tokenizerConfig = JSON.createObjectNode().put("bos_token", "<s>").put("eos_token", "</s>")
			.put("model_max_length", 512).put("tokenizer_class", "LlamaTokenizer");
		JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), tokenizerConfig);

		var tensors = new LinkedHashMap<String, int[]>();
		tensors.put("model.embed_tokens.weight", new int[] { VOCAB, hidden });
		for (int i = 0; i < layers; i++) {
			var base = "model.layers." + i + ".";
			tensors.put(base + "self_attn.q_proj.weight", new int[] { hidden, hidden });
			tensors.put(base + "self_attn.k_proj.weight", new int[] { hidden, hidden });
			tensors.put(base + "self_attn.v_proj.weight", new int[] { hidden, hidden });
			tensors.put(base + "self_attn.o_proj.weight", new int[] { hidden, hidden });
			tensors.put(base + "mlp.gate_proj.weight", new int[] { intermediate, hidden });
			tensors.put(base + "mlp.up_proj.weight", new int[] { intermediate, hidden });
			tensors.put(base + "mlp.down_proj.weight", new int[] { hidden, intermediate });
			tensors.put(base + "input_layernorm.weight", new int[] { hidden });
			tensors.put(base + "post_attention_layernorm.weight", new int[] { hidden });
		}
		tensors.put("model.norm.weight", new int[] { hidden });
		tensors.put("lm_head.weight", new int[] { VOCAB, hidden });
		writeSafetensors(dir.resolve("model.safetensors"), tensors);
		return dir;
	}

	private static ObjectNode tokenizer() {
		var root = JSON.createObjectNode().put("version", "1.0");
		var added = root.putArray("added_tokens");
		String[] special = { "<unk>", "<s>", "</s>" };
		for (int i = 0; i < special.length; i++) {
			added.addObject().put("id", i).put("content", special[i]).put("special", true)
				.put("single_word", false).put("lstrip", false).put("rstrip", false).put("normalized", false);
		}
		var normalizer = root.putObject("normalizer").put("type", "Sequence");
		var items = normalizer.putArray("normalizers");
		items.addObject().put("type", "Prepend").put("prepend", "▁");
		items.addObject().put("type", "Replace").put("content", "▁").putObject("pattern").put("String", " ");
		root.putNull("pre_tokenizer");
		var model = root.putObject("model").put("type", "BPE").put("unk_token", "<unk>").put("fuse_unk", true)
			.put("byte_fallback", true);
		var vocab = model.putObject("vocab");
		for (int i = 0; i < special.length; i++) {
			vocab.put(special[i], i);
		}
		for (int b = 0; b < 256; b++) {
			vocab.put(String.format("<0x%02X>", b), 3 + b);
		}
		vocab.put("▁", 259);
		model.putArray("merges");
		return root;
	}

	private static void writeSafetensors(Path file, Map<String, int[]> tensors) throws IOException {
		var header = JSON.createObjectNode();
		header.putObject("__metadata__").put("format", "pt");
		long offset = 0;
		for (var tensor : tensors.entrySet()) {
			long size = 4L * elements(tensor.getValue());
			var entry = header.putObject(tensor.getKey()).put("dtype", "F32");
			var shape = entry.putArray("shape");
			for (int d : tensor.getValue()) {
				shape.add(d);
			}
			entry.putArray("data_offsets").add(offset).add(offset + size);
			offset += size;
		}
		var headerBytes = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
		int padded = (headerBytes.length + 7) / 8 * 8;
		var random = new SplittableRandom(42);
		try (OutputStream out = Files.newOutputStream(file)) {
			out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
			out.write(headerBytes);
			out.write(" ".repeat(padded - headerBytes.length).getBytes(StandardCharsets.US_ASCII));
			for (var tensor : tensors.entrySet()) {
				boolean norm = tensor.getValue().length == 1;
				var buffer = ByteBuffer.allocate(4 * (int) elements(tensor.getValue())).order(ByteOrder.LITTLE_ENDIAN);
				while (buffer.hasRemaining()) {
					buffer.putFloat(norm ? 1.0f : (float) (random.nextDouble(-1, 1) * 0.08));
				}
				out.write(buffer.array());
			}
		}
	}

	private static long elements(int[] shape) {
		long n = 1;
		for (int d : shape) {
			n *= d;
		}
		return n;
	}

	public static void main(String[] args) throws IOException {
		var dir = Path.of(args[0]);
		int hidden = args.length > 1 ? Integer.parseInt(args[1]) : 64;
		int layers = args.length > 2 ? Integer.parseInt(args[2]) : 2;
		write(dir, hidden, layers);
		System.out.println("wrote " + dir);
	}
}
