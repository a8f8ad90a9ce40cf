package org.familiar.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.github.bucket4j.redis.lettuce.cas.LettuceBasedProxyManager;
import io.lettuce.core.RedisClient;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.stereotype.Component;

/**
 * Slows down guessing: each failed sign-in takes a token from three Bucket4j buckets — the
 * account from that address, the address, and the account from anywhere — and each invalid
 * bearer token one from its address's bucket. An empty bucket means wait; the waits grow as the
 * failures go on (none for the first few, then seconds, then minutes).
 *
 * <p>The limits are chosen so an attacker cannot lock the real person out for long: one guessing
 * from a single address is stopped by the buckets of that address, which the person, elsewhere,
 * does not share; only failures from many addresses together fill the account's own bucket, and
 * that one refills about a minute a failure. A successful sign-in empties the account's record.
 * With the {@code redis} profile the buckets live in Redis (Bucket4j's Lettuce proxy manager,
 * keys {@code familiar:guess:*}), so guesses spread over replicas count together; otherwise in
 * this process.
 */
@Component
class GuessThrottle {

	private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GuessThrottle.class);

	/** The account from one address: 5 at once, then one per 12 s, and at most 20 an hour. */
	private static final BucketConfiguration ACCOUNT_FROM_ADDRESS = BucketConfiguration.builder()
		.addLimit(limit -> limit.capacity(5).refillGreedy(5, Duration.ofMinutes(1)))
		.addLimit(limit -> limit.capacity(20).refillGreedy(20, Duration.ofHours(1)))
		.build();

	/** One address over all accounts: 20 in ten minutes, 100 a day. */
	private static final BucketConfiguration ADDRESS = BucketConfiguration.builder()
		.addLimit(limit -> limit.capacity(20).refillGreedy(20, Duration.ofMinutes(10)))
		.addLimit(limit -> limit.capacity(100).refillGreedy(100, Duration.ofDays(1)))
		.build();

	/** One account from everywhere: 50 an hour, so the real person waits at most about a minute. */
	private static final BucketConfiguration ACCOUNT = BucketConfiguration.builder()
		.addLimit(limit -> limit.capacity(50).refillGreedy(50, Duration.ofHours(1)))
		.build();

	/** Invalid bearer tokens from one address: 30 a minute, 300 an hour. */
	private static final BucketConfiguration TOKENS = BucketConfiguration.builder()
		.addLimit(limit -> limit.capacity(30).refillGreedy(30, Duration.ofMinutes(1)))
		.addLimit(limit -> limit.capacity(300).refillGreedy(300, Duration.ofHours(1)))
		.build();

	private final TimeMeter time;

	private final Buckets buckets;

	@Autowired
	GuessThrottle(Clock clock, ObjectProvider<RedisConnectionFactory> redis,
			@org.springframework.beans.factory.annotation.Value("${familiar.identity.throttle-namespace:familiar:guess:}") String namespace) {
		this(() -> clock.millis() * 1_000_000L, redis.getIfAvailable(), namespace);
	}

	/** With a clock in nanoseconds, for tests; in this process. */
	GuessThrottle(LongSupplier nanos) {
		this(nanos, null);
	}

	/** With a clock in nanoseconds, for tests; in Redis when {@code redis} is given. */
	GuessThrottle(LongSupplier nanos, @Nullable RedisConnectionFactory redis) {
		this(nanos, redis, "familiar:guess:");
	}

	GuessThrottle(LongSupplier nanos, @Nullable RedisConnectionFactory redis, String prefix) {
		this.time = new TimeMeter() {
			@Override
			public long currentTimeNanos() {
				return nanos.getAsLong();
			}

			@Override
			public boolean isWallClockBased() {
				return true;
			}
		};
		this.buckets = redis != null ? new InRedis(redis, time, prefix) : new InProcess(time);
	}

	/** Where the buckets live. */
	private interface Buckets {

		/** The bucket under {@code key}, or {@code null} if nothing was ever taken from it (it is full). */
		@Nullable Bucket existing(String key, BucketConfiguration limits);

		Bucket obtain(String key, BucketConfiguration limits);

		void forget(String key);
	}

	/** One replica's buckets, in this process. */
	private static final class InProcess implements Buckets {

		private final Cache<String, Bucket> buckets = Caffeine.newBuilder()
			.maximumSize(200_000)
			.expireAfterAccess(Duration.ofDays(1))
			.build();

		private final TimeMeter time;

		InProcess(TimeMeter time) {
			this.time = time;
		}

		@Override
		public @Nullable Bucket existing(String key, BucketConfiguration limits) {
			return buckets.getIfPresent(key);
		}

		@Override
		public Bucket obtain(String key, BucketConfiguration limits) {
			return buckets.get(key, k -> {
				var builder = Bucket.builder().withCustomTimePrecision(time);
				for (var bandwidth : limits.getBandwidths()) {
					builder.addLimit(bandwidth);
				}
				return builder.build();
			});
		}

		@Override
		public void forget(String key) {
			buckets.invalidate(key);
		}
	}

	/**
	 * Every replica's buckets, in Redis: each is a key that expires once the bucket has refilled.
	 * Redis unreachable means no throttling rather than no sign-in (logged).
	 */
	private static final class InRedis implements Buckets {

		private final LettuceBasedProxyManager<String> proxies;

		private final String prefix;

		InRedis(RedisConnectionFactory redis, TimeMeter time, String prefix) {
			if (!(redis instanceof LettuceConnectionFactory lettuce && lettuce.getNativeClient() instanceof RedisClient client)) {
				throw new IllegalStateException("Sign-in throttling in Redis needs a standalone Lettuce connection");
			}
			this.prefix = prefix;
			this.proxies = Bucket4jLettuce.casBasedBuilder(client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE)))
				.clientClock(time)
				.expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofMinutes(1)))
				.build();
		}

		@Override
		public @Nullable Bucket existing(String key, BucketConfiguration limits) {
			return obtain(key, limits); // a bucket nobody took from is created full
		}

		@Override
		public Bucket obtain(String key, BucketConfiguration limits) {
			return proxies.builder().build(prefix + key, () -> limits);
		}

		@Override
		public void forget(String key) {
			try {
				proxies.removeProxy(prefix + key);
			}
			catch (RuntimeException ex) {
				log.warn("Could not clear sign-in failures in Redis: {}", ex.getMessage());
			}
		}
	}

	/** How long a sign-in to {@code username} from {@code address} must wait; zero if it may try now. */
	Duration signInWait(String username, String address) {
		return longest(wait(pair(username, address), ACCOUNT_FROM_ADDRESS), wait("a:" + address, ADDRESS),
				wait("u:" + key(username), ACCOUNT));
	}

	void signInFailed(String username, String address) {
		take(pair(username, address), ACCOUNT_FROM_ADDRESS);
		take("a:" + address, ADDRESS);
		take("u:" + key(username), ACCOUNT);
	}

	/** The right password from here: this address's and the account's failures are forgiven. */
	void signedIn(String username, String address) {
		buckets.forget(pair(username, address));
		buckets.forget("u:" + key(username));
	}

	/** How long a request with a bearer token from {@code address} must wait; zero if it may try now. */
	Duration tokenWait(String address) {
		return wait("t:" + address, TOKENS);
	}

	void tokenFailed(String address) {
		take("t:" + address, TOKENS);
	}

	/**
	 * Open registrations from one address: 10 at once, then one a minute, 30 an hour (a hosted MCP
	 * host registers from its own servers, so several people's hosts may share an address).
	 */
	private static final BucketConfiguration REGISTRATIONS = BucketConfiguration.builder()
		.addLimit(limit -> limit.capacity(10).refillGreedy(10, Duration.ofMinutes(10)))
		.addLimit(limit -> limit.capacity(30).refillGreedy(30, Duration.ofHours(1)))
		.build();

	/** Open registrations from everywhere: 300 an hour, so a flood cannot fill the database. */
	private static final BucketConfiguration ALL_REGISTRATIONS = BucketConfiguration.builder()
		.addLimit(limit -> limit.capacity(300).refillGreedy(300, Duration.ofHours(1)))
		.build();

	/**
	 * Takes one open registration from {@code address}'s allowance and everyone's: zero if it may
	 * register now, else how long it must wait.
	 */
	Duration registration(String address) {
		try {
			var own = buckets.obtain("r:" + address, REGISTRATIONS).estimateAbilityToConsume(1);
			var all = buckets.obtain("r:*", ALL_REGISTRATIONS).estimateAbilityToConsume(1);
			if (!own.canBeConsumed() || !all.canBeConsumed()) {
				return longest(Duration.ofNanos(own.getNanosToWaitForRefill()), Duration.ofNanos(all.getNanosToWaitForRefill()),
						Duration.ofSeconds(1));
			}
			take("r:" + address, REGISTRATIONS);
			take("r:*", ALL_REGISTRATIONS);
			return Duration.ZERO;
		}
		catch (RuntimeException unreachable) {
			log.warn("Registration throttling could not read its buckets: {}", unreachable.getMessage());
			return Duration.ZERO;
		}
	}

	private static String pair(String username, String address) {
		return "p:" + key(username) + "\n" + address;
	}

	private static String key(String username) {
		return username.strip().toLowerCase(Locale.ROOT);
	}

	private Duration wait(String key, BucketConfiguration limits) {
		try {
			var bucket = buckets.existing(key, limits);
			if (bucket == null) {
				return Duration.ZERO;
			}
			var probe = bucket.estimateAbilityToConsume(1);
			return probe.canBeConsumed() ? Duration.ZERO : Duration.ofNanos(probe.getNanosToWaitForRefill());
		}
		catch (RuntimeException unreachable) {
			log.warn("Sign-in throttling could not read its buckets: {}", unreachable.getMessage());
			return Duration.ZERO;
		}
	}

	private void take(String key, BucketConfiguration limits) {
		try {
			buckets.obtain(key, limits).tryConsume(1);
		}
		catch (RuntimeException unreachable) {
			log.warn("Sign-in throttling could not count a failure: {}", unreachable.getMessage());
		}
	}

	private static Duration longest(Duration... waits) {
		var longest = Duration.ZERO;
		for (var wait : waits) {
			if (wait.compareTo(longest) > 0) {
				longest = wait;
			}
		}
		return longest;
	}
}
