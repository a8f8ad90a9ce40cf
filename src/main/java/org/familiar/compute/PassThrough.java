package org.familiar.compute;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A client's own OpenAI request body, for backends that speak OpenAI to receive as it came: they
 * change only the fields Familiar owns ({@code model}, the token cap, {@code stream_options},
 * {@code user}; the messages already carry the memory system message) and relay everything else.
 *
 * @param body the request as the client sent it, with the memory system message merged in; not
 *     changed after it is handed over
 * @param stream whether the client asked for a stream (a plain request stays plain upstream)
 * @param usageAsked whether a streaming client asked for the usage chunk
 * @param maxTokensField which of {@code max_tokens} and {@code max_completion_tokens} the client used
 * @param endpoint the OpenAI endpoint it was sent to, relative to {@code /v1} ({@code chat/completions},
 *     {@code embeddings}, {@code completions})
 * @param promptBound an upper bound of the prompt's tokens: its UTF-8 bytes (no tokenizer makes
 *     more tokens than bytes) with each image, audio or file part counted as {@link #MEDIA_TOKENS}
 *     instead of its bytes
 */
public record PassThrough(String endpoint, ObjectNode body, boolean stream, boolean usageAsked, String maxTokensField,
		long promptBound) {

	public static final String CHAT = "chat/completions";

	public static final String EMBEDDINGS = "embeddings";

	public static final String COMPLETIONS = "completions";

	/**
	 * What one image, audio or file part is reserved at. Its real cost depends on the model (an
	 * image is 85 to about 1,500 tokens on OpenAI's, more on some open models); the backend's
	 * reported usage is charged either way, and an overshoot is counted.
	 */
	public static final int MEDIA_TOKENS = 2048;
}
