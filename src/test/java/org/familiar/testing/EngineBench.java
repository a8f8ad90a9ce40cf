package org.familiar.testing;

import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.safetensors.prompt.PromptContext;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import java.nio.file.Files;
import java.util.UUID;

/**
 * Compares the two candidate embedded engines on identical generated models (same shapes, F32
 * weights): jlama (pure Java, Vector API) and llama.cpp through java-llama.cpp (JNI). Prints load
 * time and decode tokens/s for each. {@code bench/embedded} runs it.
 *
 * <p>{@code java --add-modules jdk.incubator.vector -cp … org.familiar.testing.EngineBench HIDDEN LAYERS TOKENS}
 */
public final class EngineBench {

	private static final String PROMPT = "The quick brown fox jumps over the lazy dog. Once upon a time";

	private EngineBench() {
	}

	public static void main(String[] args) throws Exception {
		int hidden = Integer.parseInt(args[0]);
		int layers = Integer.parseInt(args[1]);
		int tokens = Integer.parseInt(args[2]);
		var dir = Files.createTempDirectory("engine-bench");
		var jlamaDir = TinyModel.write(dir.resolve("jlama"), hidden, layers);
		var gguf = TinyGguf.write(dir.resolve("model.gguf"), hidden, layers);
		long params = (long) layers * (4L * hidden * hidden + 3L * hidden * 2 * hidden) + 2L * TinyModel.VOCAB * hidden;
		System.out.printf("model: hidden %d, %d layers, %.1f M parameters (F32, %.0f MB)%n", hidden, layers, params / 1e6,
				params * 4 / 1e6);

		long start = System.nanoTime();
		try (var jlama = ModelSupport.loadModel(jlamaDir.toFile(), DType.F32, DType.I8)) {
			double loadMs = (System.nanoTime() - start) / 1e6;
			jlama.generate(UUID.randomUUID(), PromptContext.of(PROMPT), 0.0f, 64 + tokens / 4, (t, f) -> {
			});
			var response = jlama.generate(UUID.randomUUID(), PromptContext.of(PROMPT), 0.0f, 64 + tokens, (t, f) -> {
			});
			System.out.printf("jlama      load %7.0f ms  prompt %4d tok in %6d ms  decode %4d tok in %6d ms = %7.1f tok/s%n",
					loadMs, response.promptTokens, response.promptTimeMs, response.generatedTokens, response.generateTimeMs,
					response.generatedTokens * 1000.0 / Math.max(1, response.generateTimeMs));
		}

		LlamaModel.setLogger(null, (level, message) -> {
		});
		start = System.nanoTime();
		try (var llama = new LlamaModel(new ModelParameters().setModel(gguf.toString()).setCtxSize(512).setThreads(
				Runtime.getRuntime().availableProcessors()))) {
			double loadMs = (System.nanoTime() - start) / 1e6;
			var warm = new InferenceParameters(PROMPT).setNPredict(tokens / 4).setIgnoreEos(true).setTemperature(0f);
			llama.complete(warm);
			var params2 = new InferenceParameters(PROMPT).setNPredict(tokens).setIgnoreEos(true).setTemperature(0f);
			long t0 = System.nanoTime();
			long first = 0;
			int n = 0;
			for (var output : llama.generate(params2)) {
				if (n++ == 0) {
					first = System.nanoTime();
				}
			}
			long end = System.nanoTime();
			// Outputs can join several byte tokens into one character, so count what was asked for
			// (end of sequence is ignored, so exactly that many are generated).
			System.out.printf("llama.cpp  load %7.0f ms  first token after %6.0f ms  decode %4d tok in %6.0f ms = %7.1f tok/s%n",
					loadMs, (first - t0) / 1e6, tokens - 1, (end - first) / 1e6, (tokens - 1) * 1e9 / Math.max(1, end - first));
		}
		// java-llama.cpp leaves a native, non-daemon thread behind after close() that keeps the JVM
		// alive: one of the reasons Familiar does not embed it (docs/embedded-engine.md).
		System.out.println("threads still alive after close: " + Thread.getAllStackTraces().keySet().stream()
			.filter(t -> !t.isDaemon() && t != Thread.currentThread()).map(Thread::getName).toList());
		System.exit(0);
	}
}
