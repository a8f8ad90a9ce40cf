package org.familiar.compute.embedded;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.familiar.compute.BackendRejectedException;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.PassThrough;
import org.familiar.compute.TextEmbedder;
import org.familiar.compute.backend.ChatBackend;
import org.familiar.compute.backend.Generation;
import org.jspecify.annotations.Nullable;

/**
 * {@code familiar-embed}: the in-process embedding model behind {@code /v1/embeddings}, answering
 * in OpenAI's shape ({@code float} or {@code base64}), scheduled and metered like any backend.
 */
public final class LocalEmbeddingBackend extends ChatBackend {

	public static final String NAME = "familiar";

	private static final ObjectMapper JSON = new ObjectMapper();

	private final TextEmbedder embedder;

	public LocalEmbeddingBackend(TextEmbedder embedder) {
		super(NAME);
		this.embedder = embedder;
	}

	@Override
	public List<String> probe() {
		return List.of(TextEmbedder.MODEL);
	}

	@Override
	public @Nullable String unsupported(ChatRequest request) {
		var passThrough = request.passThrough();
		if (passThrough == null || !passThrough.endpoint().equals(PassThrough.EMBEDDINGS)) {
			// A chat request: this model only embeds.
			return "model";
		}
		var body = passThrough.body();
		var dimensions = body.get("dimensions");
		if (dimensions != null && !dimensions.isNull() && dimensions.asInt() != embedder.dimensions()) {
			return "dimensions";
		}
		var format = body.path("encoding_format").asText("float");
		if (!format.equals("float") && !format.equals("base64")) {
			return "encoding_format";
		}
		for (var input : body.path("input")) {
			if (!input.isTextual()) {
				// Token ids are another tokenizer's; this model reads text.
				return "input";
			}
		}
		return null;
	}

	@Override
	protected void generate(ChatRequest request, String upstreamModel, Generation generation) {
		var body = request.passThrough().body();
		var input = body.path("input");
		var texts = new ArrayList<String>();
		if (input.isTextual()) {
			texts.add(input.textValue());
		}
		else {
			input.forEach(text -> texts.add(text.asText()));
		}
		for (int i = 0; i < texts.size(); i++) {
			if (!readable(texts.get(i))) {
				throw new BackendRejectedException(NAME, 400, "input[" + i + "] has nothing the embedding model can read: "
						+ "it is empty, only white space, or holds an unpaired surrogate.");
			}
		}
		TextEmbedder.Embedded embedded;
		try {
			embedded = embedder.embed(texts);
		}
		catch (RuntimeException failed) {
			for (Throwable cause = failed; cause != null; cause = cause.getCause()) {
				if (cause instanceof IllegalArgumentException nothingToEmbed) {
					throw new BackendRejectedException(NAME, 400,
							"An input has nothing the embedding model can read: " + nothingToEmbed.getMessage());
				}
			}
			throw failed;
		}
		boolean base64 = body.path("encoding_format").asText("float").equals("base64");
		var out = new ByteArrayOutputStream(texts.size() * embedder.dimensions() * 12 + 128);
		try (JsonGenerator json = JSON.getFactory().createGenerator(out)) {
			json.writeStartObject();
			json.writeStringField("object", "list");
			json.writeArrayFieldStart("data");
			for (int i = 0; i < embedded.vectors().size(); i++) {
				var vector = embedded.vectors().get(i);
				json.writeStartObject();
				json.writeStringField("object", "embedding");
				json.writeNumberField("index", i);
				json.writeFieldName("embedding");
				if (base64) {
					var bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
					for (float value : vector) {
						bytes.putFloat(value);
					}
					json.writeString(Base64.getEncoder().encodeToString(bytes.array()));
				}
				else {
					json.writeArray(toDoubles(vector), 0, vector.length);
				}
				json.writeEndObject();
			}
			json.writeEndArray();
			json.writeStringField("model", request.model());
			json.writeObjectFieldStart("usage");
			json.writeNumberField("prompt_tokens", embedded.tokens());
			json.writeNumberField("total_tokens", embedded.tokens());
			json.writeEndObject();
			json.writeEndObject();
		}
		catch (IOException ex) {
			throw new IllegalStateException("Writing JSON to memory failed", ex);
		}
		generation.usage(embedded.tokens(), 0);
		generation.whole(out.toByteArray(), "");
	}

	/** Whether the tokenizer will find something in {@code text}: not blank, and no unpaired surrogate. */
	private static boolean readable(String text) {
		if (text.isBlank()) {
			return false;
		}
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
				i++;
			}
			else if (Character.isSurrogate(c)) {
				return false;
			}
		}
		return true;
	}

	private static double[] toDoubles(float[] vector) {
		var doubles = new double[vector.length];
		for (int i = 0; i < vector.length; i++) {
			doubles[i] = vector[i];
		}
		return doubles;
	}
}
