package org.familiar.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * The same throttling with its buckets in the machine's Redis (127.0.0.1:6379), as every replica
 * has them under the {@code redis} profile: what one replica counted, another sees. Skipped where
 * no Redis answers there.
 */
@EnabledIf("org.familiar.compute.capacity.RedisSchedulerTests#redisAnswers")
class RedisGuessThrottleTests extends GuessThrottleTests {

	private final LettuceConnectionFactory redis = connect();

	/** Keeps this test's keys apart from any other run's. */
	private final String prefix = "test-guess-" + UUID.randomUUID() + ":";

	private static LettuceConnectionFactory connect() {
		var factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", 6379));
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

	@Override
	GuessThrottle throttle() {
		return new GuessThrottle(now::get, redis, prefix);
	}

	@AfterEach
	void forget() {
		var template = new StringRedisTemplate(redis);
		var keys = template.keys(prefix + "*");
		if (keys != null && !keys.isEmpty()) {
			template.delete(keys);
		}
		redis.destroy();
	}

	@Test
	void guessesSpreadOverReplicasCountTogether() {
		var other = throttle();
		for (int i = 0; i < 5; i++) {
			(i % 2 == 0 ? throttle : other).signInFailed("ada", "203.0.113.5");
		}
		assertThat(other.signInWait("ada", "203.0.113.5")).as("five failures, on two replicas").isPositive();
		assertThat(throttle.signInWait("ada", "203.0.113.5")).isPositive();
		other.signedIn("ada", "198.51.100.7");
		assertThat(throttle.signInWait("ada", "198.51.100.7")).as("the person at home").isZero();
	}
}
