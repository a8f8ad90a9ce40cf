package org.familiar.media;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a file says about where it came from.
 *
 * @param manifestFound whether it carries (or was sent with) a Familiar manifest
 * @param signatureValid whether the manifest's signature verifies with one of Familiar's published keys
 * @param unaltered whether the file, manifest aside, is the one that was signed
 * @param keyId the key that signed it
 * @param claims the manifest's statements (made with, model, when, by whom, characters, origin)
 * @param known whether this Familiar holds a file with these bytes (a stripped manifest can be told)
 * @param summary one sentence for people
 */
public record Verification(@JsonProperty("manifest_found") boolean manifestFound,
		@JsonProperty("signature_valid") boolean signatureValid, boolean unaltered, @JsonProperty("key_id") @Nullable String keyId,
		Map<String, Object> claims, boolean known, String summary) {
}
