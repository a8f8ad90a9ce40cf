package org.familiar.attention.internal;

import com.interaso.webpush.VapidKeys;
import com.interaso.webpush.WebPush;
import com.interaso.webpush.WebPushService;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.familiar.attention.InvalidAttentionException;
import org.familiar.identity.PersonId;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Web Push with the {@code com.interaso:webpush} library: the server's VAPID keys (made once, kept
 * in the database so every replica signs alike), the browsers a person subscribed, and sending what
 * the attention policy decided to show in the web app (no device of theirs was the one to show it)
 * to those browsers, encrypted for each (RFC 8291). A subscription the push service says is gone is
 * deleted. Push endpoints must be public https URLs.
 */
@Component
public class WebPushes implements DisposableBean {

	private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(WebPushes.class);

	private final JdbcClient jdbc;

	private final Clock clock;

	private final boolean allowPrivate;

	private final String subject;

	private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();

	private volatile @Nullable WebPushService service;

	WebPushes(JdbcClient jdbc, Clock clock,
			@Value("${familiar.attention.push.allow-private-endpoints:false}") boolean allowPrivate,
			@Value("${familiar.attention.push.subject:mailto:familiar@localhost}") String subject) {
		this.jdbc = jdbc;
		this.clock = clock;
		this.allowPrivate = allowPrivate;
		this.subject = subject;
	}

	/** The key browsers subscribe with ({@code applicationServerKey}), base64url. */
	public String publicKey() {
		return Base64.getUrlEncoder().withoutPadding().encodeToString(service().getVapidKeys().getApplicationServerKey());
	}

	private WebPushService service() {
		var current = service;
		if (current != null) {
			return current;
		}
		synchronized (this) {
			if (service == null) {
				var stored = jdbc.sql("select public_key, private_key from push_vapid where id = 1")
					.query((rs, n) -> VapidKeys.create(rs.getString(1), rs.getString(2)))
					.optional();
				var keys = stored.orElseGet(() -> {
					var made = VapidKeys.generate();
					try {
						jdbc.sql("insert into push_vapid (id, public_key, private_key, created_at) values (1, :public, :private, :at)")
							.param("public", made.getX509PublicKey())
							.param("private", made.getPkcs8PrivateKey())
							.param("at", clock.instant().atOffset(ZoneOffset.UTC))
							.update();
						return made;
					}
					catch (DuplicateKeyException another) {
						return jdbc.sql("select public_key, private_key from push_vapid where id = 1")
							.query((rs, n) -> VapidKeys.create(rs.getString(1), rs.getString(2)))
							.single();
					}
				});
				service = new WebPushService(subject, keys);
			}
			return service;
		}
	}

	/**
	 * Records a browser's subscription for the person (a browser already subscribed moves to them).
	 * @throws InvalidAttentionException for an endpoint that is not a public https URL, or keys that are not base64url
	 */
	public void subscribe(PersonId person, String endpoint, String p256dh, String auth) {
		checkEndpoint(endpoint);
		try {
			if (Base64.getUrlDecoder().decode(p256dh.strip()).length != 65 || Base64.getUrlDecoder().decode(auth.strip()).length != 16) {
				throw new InvalidAttentionException("keys.p256dh is a 65-byte P-256 point and keys.auth 16 bytes, base64url.");
			}
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidAttentionException("keys.p256dh and keys.auth are base64url.");
		}
		jdbc.sql("delete from push_subscription where endpoint = :endpoint").param("endpoint", endpoint).update();
		jdbc.sql("insert into push_subscription (endpoint, person_id, p256dh, auth, created_at) values (:endpoint, :person, :p256dh, :auth, :at)")
			.param("endpoint", endpoint)
			.param("person", person.value())
			.param("p256dh", p256dh.strip())
			.param("auth", auth.strip())
			.param("at", clock.instant().atOffset(ZoneOffset.UTC))
			.update();
	}

	public boolean unsubscribe(PersonId person, String endpoint) {
		return jdbc.sql("delete from push_subscription where endpoint = :endpoint and person_id = :person")
			.param("endpoint", endpoint)
			.param("person", person.value())
			.update() > 0;
	}

	public int subscriptions(PersonId person) {
		return jdbc.sql("select count(*) from push_subscription where person_id = :person")
			.param("person", person.value())
			.query(Integer.class)
			.single();
	}

	private record Subscription(String endpoint, String p256dh, String auth) {
	}

	/** Sends {@code payload} (JSON) to each of the person's browsers, in the background. */
	public void push(PersonId person, String payload, boolean urgent) {
		var subscriptions = jdbc.sql("select endpoint, p256dh, auth from push_subscription where person_id = :person")
			.param("person", person.value())
			.query((rs, n) -> new Subscription(rs.getString(1), rs.getString(2), rs.getString(3)))
			.list();
		if (subscriptions.isEmpty()) {
			return;
		}
		var bytes = payload.getBytes(java.nio.charset.StandardCharsets.UTF_8);
		for (var subscription : subscriptions) {
			senders.execute(() -> send(person, subscription, bytes, urgent));
		}
	}

	private void send(PersonId person, Subscription subscription, byte[] payload, boolean urgent) {
		try {
			var state = service().send(payload, subscription.endpoint(), Base64.getUrlDecoder().decode(subscription.p256dh()),
					Base64.getUrlDecoder().decode(subscription.auth()), 3600, null,
					urgent ? WebPush.Urgency.High : WebPush.Urgency.Normal);
			if (state == WebPush.SubscriptionState.EXPIRED) {
				unsubscribe(person, subscription.endpoint());
			}
		}
		catch (RuntimeException ex) {
			log.info("Web Push to {} failed: {}", URI.create(subscription.endpoint()).getHost(), ex.getMessage());
		}
	}

	private void checkEndpoint(String endpoint) {
		URI uri;
		try {
			uri = new URI(endpoint.strip());
		}
		catch (URISyntaxException ex) {
			throw new InvalidAttentionException("endpoint is the push service's URL.");
		}
		if (endpoint.length() > 1000 || uri.getHost() == null || !uri.isAbsolute()) {
			throw new InvalidAttentionException("endpoint is the push service's URL (at most 1,000 characters).");
		}
		if (allowPrivate) {
			return;
		}
		if (!"https".equals(uri.getScheme())) {
			throw new InvalidAttentionException("endpoint must be an https URL of a push service.");
		}
		try {
			for (var address : InetAddress.getAllByName(uri.getHost())) {
				if (address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
						|| address.isAnyLocalAddress() || address.isMulticastAddress()) {
					throw new InvalidAttentionException("endpoint must be a public push service, not a private address.");
				}
			}
		}
		catch (UnknownHostException ex) {
			throw new InvalidAttentionException("endpoint's host is not known: " + uri.getHost());
		}
	}

	@Override
	public void destroy() {
		senders.shutdownNow();
	}
}
