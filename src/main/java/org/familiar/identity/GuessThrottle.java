package org.familiar.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import org.springframework.beans.factory.annotation.Autowired;
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
 * The buckets live in this process (one replica's view); a sign-in spread over several replicas
 * is slowed per replica.
 */
@Component
class GuessThrottle {

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

	private final Cache<String, Bucket> buckets = Caffeine.newBuilder()
		.maximumSize(200_000)
		.expireAfterAccess(Duration.ofDays(1))
		.build();

	private final TimeMeter time;

	@Autowired
	GuessThrottle(Clock clock) {
		this(() -> clock.millis() * 1_000_000L);
	}

	/** With a clock in nanoseconds, for tests. */
	GuessThrottle(java.util.function.LongSupplier nanos) {
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
	}

	/** How long a sign-in to {@code username} from {@code address} must wait; zero if it may try now. */
	Duration signInWait(String username, String address) {
		return longest(wait(pair(username, address)), wait("a:" + address), wait("u:" + key(username)));
	}

	void signInFailed(String username, String address) {
		take(pair(username, address), ACCOUNT_FROM_ADDRESS);
		take("a:" + address, ADDRESS);
		take("u:" + key(username), ACCOUNT);
	}

	/** The right password from here: this address's and the account's failures are forgiven. */
	void signedIn(String username, String address) {
		buckets.invalidate(pair(username, address));
		buckets.invalidate("u:" + key(username));
	}

	/** How long a request with a bearer token from {@code address} must wait; zero if it may try now. */
	Duration tokenWait(String address) {
		return wait("t:" + address);
	}

	void tokenFailed(String address) {
		take("t:" + address, TOKENS);
	}

	private static String pair(String username, String address) {
		return "p:" + key(username) + "\n" + address;
	}

	private static String key(String username) {
		return username.strip().toLowerCase(Locale.ROOT);
	}

	private Duration wait(String key) {
		var bucket = buckets.getIfPresent(key);
		if (bucket == null) {
			return Duration.ZERO;
		}
		var probe = bucket.estimateAbilityToConsume(1);
		return probe.canBeConsumed() ? Duration.ZERO : Duration.ofNanos(probe.getNanosToWaitForRefill());
	}

	private void take(String key, BucketConfiguration limits) {
		buckets.get(key, k -> bucket(limits)).tryConsume(1);
	}

	private Bucket bucket(BucketConfiguration limits) {
		var builder = Bucket.builder().withCustomTimePrecision(time);
		for (var bandwidth : limits.getBandwidths()) {
			builder.addLimit(bandwidth);
		}
		return builder.build();
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
