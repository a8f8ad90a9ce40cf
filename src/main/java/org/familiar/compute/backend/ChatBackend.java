package org.familiar.compute.backend;

import java.time.Duration;
import java.util.List;
import org.familiar.compute.BackendException;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ChatResult;
import org.familiar.compute.TokenSink;
import org.jspecify.annotations.Nullable;

/**
 * The port every model backend implements, shaped as a template method: {@link #chat} is the one
 * place that sets up the {@link Generation}, turns unexpected adapter errors into a
 * {@link org.familiar.compute.BackendFailedException} naming the backend, and returns the result;
 * adapters implement {@link #generate} and {@link #probe}.
 */
public abstract class ChatBackend implements AutoCloseable {

	private final String name;

	protected ChatBackend(String name) {
		this.name = name;
	}

	public final String name() {
		return name;
	}

	/**
	 * Runs the request, streaming the reply into {@code sink}. Blocks until the reply ends; call it
	 * on a virtual thread.
	 * @param upstreamModel the model name the backend itself uses
	 * @return the reply, {@link org.familiar.compute.FinishReason#CANCELLED} if the sink failed
	 * @throws BackendException if the backend could not serve the request
	 */
	public final ChatResult chat(ChatRequest request, String upstreamModel, TokenSink sink) {
		return chat(request, upstreamModel, sink, Duration.ofMillis(200));
	}

	/**
	 * As {@link #chat(ChatRequest, String, TokenSink)}; a {@link TokenSink#silentUntilDone() silent}
	 * sink's caller is checked every {@code check}, and the backend's work cancelled when it left.
	 */
	public final ChatResult chat(ChatRequest request, String upstreamModel, TokenSink sink, Duration check) {
		var generation = new Generation(request, name, sink);
		var watch = sink.silentUntilDone() ? new CallerWatch(generation, sink, check) : null;
		try {
			generate(request, upstreamModel, generation);
		}
		catch (BackendException ex) {
			if (generation.cancelled()) {
				return generation.result();
			}
			throw ex;
		}
		catch (RuntimeException ex) {
			if (generation.cancelled()) {
				return generation.result();
			}
			throw generation.failed("Backend '" + name + "' failed: " + ex.getMessage(), ex);
		}
		finally {
			if (watch != null) {
				watch.stop();
			}
		}
		return generation.result();
	}

	/**
	 * Generates the reply, reporting each piece to {@code generation} and stopping as soon as
	 * {@link Generation#emit} returns {@code false}.
	 */
	protected abstract void generate(ChatRequest request, String upstreamModel, Generation generation);

	/**
	 * The first field of the request this backend cannot honour, or {@code null} if it can honour
	 * them all; such a request goes to another backend serving the model, or is refused with a 400
	 * naming the field. A backend that speaks OpenAI passes every field on and answers {@code null}.
	 */
	public @Nullable String unsupported(ChatRequest request) {
		return null;
	}

	/**
	 * Checks that the backend answers and returns the models it serves.
	 * @throws org.familiar.compute.BackendUnavailableException if it does not answer
	 */
	public abstract List<String> probe();

	/** A short state for people: "ready", or what is missing. */
	public String status(String model) {
		return "ready";
	}

	@Override
	public void close() {
	}
}
