package org.familiar.media.web;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import java.time.Duration;
import org.familiar.media.MediaSettings;
import org.springframework.stereotype.Component;

/**
 * Anyone may ask where a file came from, without an account, so each address gets a Bucket4j
 * bucket of {@code familiar.media.verify-per-minute} checks (refilled evenly). The buckets are
 * per replica: behind N replicas an address gets up to N times as many, which is still a bound.
 */
@Component
class VerifyThrottle {

	private final Cache<String, Bucket> buckets = Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(10))
		.maximumSize(100_000).build();

	private final long perMinute;

	VerifyThrottle(MediaSettings settings) {
		this.perMinute = Math.max(1, settings.verifyPerMinute());
	}

	/** Takes one check; {@code false} when the address has used up its share for now. */
	boolean allow(String address) {
		return buckets.get(address, any -> Bucket.builder()
			.addLimit(limit -> limit.capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)))
			.build()).tryConsume(1);
	}
}
