package org.familiar.media.internal;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.familiar.identity.SigningKeys;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Familiar's manifests: a JSON statement of where a file came from, signed as a compact JWS
 * (RS256) with the key that signs ID tokens (published at {@code /oauth2/jwks}), so anyone can
 * check one with Familiar's JWKS alone. The statement carries the SHA-256 of the file without
 * its manifest, so a changed byte anywhere is seen.
 */
@Component
public class Manifests {

	/** The JWS {@code typ} of a manifest. */
	static final JOSEObjectType TYPE = new JOSEObjectType("familiar-manifest+jws");

	private static final ObjectMapper JSON = new ObjectMapper();

	private final SigningKeys keys;

	Manifests(SigningKeys keys) {
		this.keys = keys;
	}

	/** Signs the claims; {@code content_sha256} is set from {@code content}. */
	public String sign(Map<String, Object> claims, byte[] content) {
		var statement = new LinkedHashMap<>(claims);
		statement.put("content_sha256", sha256(content));
		var key = keys.current();
		try {
			var jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).type(TYPE).build(),
					new Payload(JSON.writeValueAsBytes(statement)));
			jws.sign(new RSASSASigner(key));
			return jws.serialize();
		}
		catch (JOSEException | com.fasterxml.jackson.core.JsonProcessingException ex) {
			throw new IllegalStateException("Could not sign a manifest: " + ex.getMessage(), ex);
		}
	}

	/** A manifest read back: its claims, which key signed it, and whether the signature holds. */
	public record Checked(Map<String, Object> claims, @Nullable String keyId, boolean signatureValid) {

		/** Whether {@code content} (the file without its manifest) is what was signed. */
		public boolean matches(byte[] content) {
			return sha256(content).equals(claims.get("content_sha256"));
		}
	}

	/** Reads and checks a JWS; {@code null} if it is not a manifest at all. */
	public @Nullable Checked check(String jws) {
		JWSObject parsed;
		Map<String, Object> claims;
		try {
			parsed = JWSObject.parse(jws.strip());
			claims = JSON.readValue(parsed.getPayload().toBytes(), new TypeReference<LinkedHashMap<String, Object>>() {
			});
		}
		catch (ParseException | java.io.IOException | RuntimeException notOne) {
			return null;
		}
		var kid = parsed.getHeader().getKeyID();
		boolean valid = false;
		if (kid != null && JWSAlgorithm.RS256.equals(parsed.getHeader().getAlgorithm())) {
			for (var key : keys.keys()) {
				if (kid.equals(key.getKeyID())) {
					try {
						valid = parsed.verify(new RSASSAVerifier(key.toRSAPublicKey()));
					}
					catch (JOSEException ex) {
						valid = false;
					}
				}
			}
		}
		return new Checked(claims, kid, valid);
	}

	public static String sha256(byte[] bytes) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

	public static String sha256(String text) {
		return sha256(text.getBytes(StandardCharsets.UTF_8));
	}
}
