package org.familiar.compute;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A media backend's answer to one plain request, as it came.
 *
 * @param status the HTTP status
 * @param contentType its {@code Content-Type}
 * @param body its bytes
 */
public record MediaReply(int status, String contentType, byte[] body) {

	private static final ObjectMapper JSON = new ObjectMapper();

	public boolean ok() {
		return status >= 200 && status < 300;
	}

	/** The OpenAI-shaped error's message, or the start of the body. */
	public String error() {
		var text = new String(body, 0, Math.min(body.length, 64 * 1024), StandardCharsets.UTF_8).strip();
		try {
			var message = JSON.readTree(text).path("error").path("message");
			if (message.isTextual()) {
				return message.textValue();
			}
		}
		catch (IOException notJson) {
			// the raw text, then
		}
		return text.isEmpty() ? "status " + status : text.substring(0, Math.min(text.length(), 300));
	}
}
