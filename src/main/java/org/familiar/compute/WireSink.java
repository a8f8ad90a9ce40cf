package org.familiar.compute;

import java.io.IOException;

/**
 * A caller that takes a backend's OpenAI chunks as they are (the {@code /v1} API): a backend that
 * speaks OpenAI hands over each streamed chunk's JSON with only {@code id} and {@code model}
 * rewritten, so tool-call deltas, reasoning, logprobs and usage details arrive intact. Backends that
 * do not speak OpenAI call {@link #accept} with text instead.
 */
public interface WireSink extends TokenSink {

	/** One chunk's JSON, without the {@code data: } framing. */
	void chunk(byte[] json) throws IOException;
}
