package org.familiar.compute.backend;

import java.io.IOException;
import org.familiar.compute.BackendFailedException;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ChatResult;
import org.familiar.compute.FinishReason;
import org.familiar.compute.TokenSink;
import org.familiar.compute.TokenUsage;
import org.familiar.compute.WireSink;
import org.jspecify.annotations.Nullable;

/**
 * One reply being generated: what adapters report to as tokens arrive. It forwards text to the
 * caller's sink, notices when the caller has gone (so the adapter stops) and builds the result,
 * counting tokens itself when the backend reports no usage.
 */
public final class Generation {

	private final ChatRequest request;

	private final String backend;

	private final TokenSink sink;

	private final StringBuilder text = new StringBuilder();

	private int chunks;

	/** Set by the adapter's thread (the sink failed) or by the caller watch (the caller left). */
	private volatile boolean cancelled;

	private volatile @Nullable Runnable onCancel;

	private FinishReason finishReason = FinishReason.STOP;

	private @Nullable TokenUsage reported;

	private byte @Nullable [] wire;

	Generation(ChatRequest request, String backend, TokenSink sink) {
		this.request = request;
		this.backend = backend;
		this.sink = sink;
	}

	/**
	 * Passes generated text on.
	 * @return {@code false} when the caller has gone away; the adapter must stop generating
	 */
	public boolean emit(String piece) {
		if (cancelled) {
			return false;
		}
		if (piece.isEmpty()) {
			return true;
		}
		text.append(piece);
		chunks++;
		try {
			sink.accept(piece);
			return true;
		}
		catch (IOException | RuntimeException ex) {
			cancelled = true;
			return false;
		}
	}

	/**
	 * Passes one chunk on as the backend sent it ({@code id} and {@code model} rewritten): to a
	 * {@link WireSink} as it is, to any other sink as its text.
	 * @return {@code false} when the caller has gone away; the adapter must stop generating
	 */
	public boolean relay(byte[] chunk, String content) {
		if (cancelled) {
			return false;
		}
		text.append(content);
		chunks++;
		try {
			if (sink instanceof WireSink wire) {
				wire.chunk(chunk);
			}
			else if (!content.isEmpty()) {
				sink.accept(content);
			}
			return true;
		}
		catch (IOException | RuntimeException ex) {
			cancelled = true;
			return false;
		}
	}

	/** A plain reply in one piece: the body for the client as the backend sent it, and its text. */
	public void whole(byte[] body, String content) {
		text.append(content);
		chunks++;
		wire = body;
	}

	public boolean cancelled() {
		return cancelled;
	}

	/**
	 * What stops the backend's work at once when the caller leaves while the adapter waits (an
	 * HTTP call's {@code cancel}); the adapter then sees its call fail and must return, not throw,
	 * when {@link #cancelled()}.
	 */
	public void onCancel(Runnable stop) {
		this.onCancel = stop;
		if (cancelled) {
			stop.run();
		}
	}

	/** The caller left: stop generating; the result is {@link FinishReason#CANCELLED} with what was produced. */
	void cancel() {
		cancelled = true;
		var stop = onCancel;
		if (stop != null) {
			stop.run();
		}
	}

	public boolean started() {
		return chunks > 0;
	}

	public void finish(FinishReason reason) {
		this.finishReason = reason;
	}

	/** The backend's own token counts, which win over counting. */
	public void usage(int promptTokens, int completionTokens) {
		this.reported = new TokenUsage(promptTokens, completionTokens, true);
	}

	public ChatResult result() {
		return new ChatResult(request.requestId(), request.model(), backend, text.toString(),
				cancelled ? FinishReason.CANCELLED : finishReason, usage(), wire);
	}

	/** A failure to throw, carrying what was generated so far. */
	public BackendFailedException failed(String message, @Nullable Throwable cause) {
		return new BackendFailedException(backend, message, result(), cause);
	}

	private TokenUsage usage() {
		if (reported != null) {
			return reported;
		}
		return new TokenUsage(estimatePromptTokens(request), chunks, false);
	}

	/**
	 * For a backend that reports no usage: about four Latin characters a token, one token for each
	 * character of the scripts beyond (CJK and the like, U+2E80 on), plus a few for each message's
	 * framing.
	 */
	static int estimatePromptTokens(ChatRequest request) {
		int latin = 0;
		int wide = 0;
		for (ChatMessage message : request.messages()) {
			var text = message.content();
			for (int i = 0; i < text.length(); i++) {
				if (text.charAt(i) >= 0x2E80 && !Character.isLowSurrogate(text.charAt(i))) {
					wide++;
				}
				else if (!Character.isSurrogate(text.charAt(i))) {
					latin++;
				}
			}
		}
		return latin / 4 + wide + 4 * request.messages().size();
	}
}
