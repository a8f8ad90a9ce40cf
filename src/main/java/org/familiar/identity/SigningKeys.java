package org.familiar.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The RSA keys that sign ID tokens, kept in the database ({@code oauth_signing_key}) so a restart,
 * or another replica, keeps every issued token verifiable. The newest unretired key signs; all
 * unretired keys are published. Rotation: {@link #rotate()} adds a key that signs from then on;
 * once tokens signed with the old one have expired (ID tokens live 30 minutes), {@link #retire} it.
 * Other replicas hear of a change at once (a {@link org.familiar.compute.Broadcasts broadcast}) and read
 * the keys again at least every minute.
 */
@Component
public class SigningKeys implements JWKSource<SecurityContext> {

	private static final Duration RELOAD = Duration.ofMinutes(1);

	private final JdbcClient jdbc;

	private final Clock clock;

	private volatile List<RSAKey> keys = List.of();

	private volatile Instant loadedAt = Instant.EPOCH;

	/** The topic on which replicas tell each other that a key was added or retired. */
	static final String KEYS_CHANGED = "identity.keys";

	private final org.familiar.compute.Broadcasts broadcasts;

	SigningKeys(JdbcClient jdbc, Clock clock, org.familiar.compute.Broadcasts broadcasts) {
		this.broadcasts = broadcasts;
		// Another replica changed the keys: read them again before the next use.
		broadcasts.subscribe(KEYS_CHANGED, any -> loadedAt = Instant.EPOCH);
		this.jdbc = jdbc;
		this.clock = clock;
	}

	/** The key that signs now. */
	public RSAKey current() {
		return keys().getFirst();
	}

	/** The published keys, newest first. */
	public List<RSAKey> keys() {
		if (keys.isEmpty() || clock.instant().isAfter(loadedAt.plus(RELOAD))) {
			load();
			if (keys.isEmpty()) {
				rotate();
			}
		}
		return keys;
	}

	@Override
	public List<JWK> get(JWKSelector selector, SecurityContext context) {
		return selector.select(new JWKSet(new ArrayList<>(keys())));
	}

	/** Adds a new signing key, which signs from now on; returns its key id. */
	public synchronized String rotate() {
		try {
			var key = new RSAKeyGenerator(2048).keyID(UUID.randomUUID().toString()).issueTime(java.util.Date.from(clock.instant()))
				.generate();
			jdbc.sql("""
					insert into oauth_signing_key (kid, private_key, public_key, created_at)
					values (:kid, :private, :public, :created)""")
				.param("kid", key.getKeyID())
				.param("private", Base64.getEncoder().encodeToString(key.toRSAPrivateKey().getEncoded()))
				.param("public", Base64.getEncoder().encodeToString(key.toRSAPublicKey().getEncoded()))
				.param("created", clock.instant().atOffset(ZoneOffset.UTC))
				.update();
			load();
			broadcasts.publish(KEYS_CHANGED, key.getKeyID());
			return key.getKeyID();
		}
		catch (JOSEException ex) {
			throw new IllegalStateException("Could not make a signing key: " + ex.getMessage(), ex);
		}
	}

	/** Stops publishing a key (tokens it signed no longer verify); the newest key cannot be retired. */
	public synchronized boolean retire(String kid) {
		var all = keys();
		if (all.size() < 2 || all.getFirst().getKeyID().equals(kid)) {
			throw new IllegalArgumentException("The newest key signs now; rotate first, then retire the old one.");
		}
		int retired = jdbc.sql("update oauth_signing_key set retired_at = :now where kid = :kid and retired_at is null")
			.param("now", clock.instant().atOffset(ZoneOffset.UTC))
			.param("kid", kid)
			.update();
		load();
		broadcasts.publish(KEYS_CHANGED, kid);
		return retired == 1;
	}

	private void load() {
		keys = jdbc.sql("select kid, private_key, public_key from oauth_signing_key where retired_at is null order by created_at desc")
			.query((rs, n) -> key(rs.getString(1), rs.getString(2), rs.getString(3)))
			.list();
		loadedAt = clock.instant();
	}

	private static RSAKey key(String kid, String privateKey, String publicKey) {
		try {
			var factory = KeyFactory.getInstance("RSA");
			var pub = (RSAPublicKey) factory.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(publicKey)));
			var priv = (RSAPrivateKey) factory.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(privateKey)));
			return new RSAKey.Builder(pub).privateKey(priv).keyID(kid).build();
		}
		catch (java.security.GeneralSecurityException ex) {
			throw new IllegalStateException("Signing key " + kid + " is damaged: " + ex.getMessage(), ex);
		}
	}
}
