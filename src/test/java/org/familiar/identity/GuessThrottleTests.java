package org.familiar.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** How sign-in and token guessing is slowed down, on a clock the test moves. */
class GuessThrottleTests {

	final AtomicLong now = new AtomicLong(1_000_000_000_000L);

	GuessThrottle throttle;

	/** The throttle under test: its buckets in this process ({@link RedisGuessThrottleTests}: in Redis). */
	GuessThrottle throttle() {
		return new GuessThrottle(now::get);
	}

	@org.junit.jupiter.api.BeforeEach
	void start() {
		throttle = throttle();
	}

	void advance(Duration duration) {
		now.addAndGet(duration.toNanos());
	}

	void fail(int times, String username, String address) {
		for (int i = 0; i < times; i++) {
			assertThat(throttle.signInWait(username, address)).as("attempt %d may be tried", i + 1).isZero();
			throttle.signInFailed(username, address);
		}
	}

	@Test
	void theFirstFewMistakesCostNothingThenTheWaitsGrow() {
		fail(5, "ada", "203.0.113.5");
		var first = throttle.signInWait("ada", "203.0.113.5");
		assertThat(first).isBetween(Duration.ofSeconds(11), Duration.ofSeconds(12));
		advance(first);
		fail(1, "ada", "203.0.113.5");
		// About twenty failures in the hour (the hour's bucket refills a little meanwhile): then minutes, not seconds.
		int failures = 6;
		while (throttle.signInWait("ada", "203.0.113.5").compareTo(Duration.ofMinutes(2)) < 0 && failures < 40) {
			advance(throttle.signInWait("ada", "203.0.113.5"));
			fail(1, "ada", "203.0.113.5");
			failures++;
		}
		assertThat(failures).isBetween(20, 23);
		assertThat(throttle.signInWait("ADA ", "203.0.113.5")).as("the same account however typed")
			.isGreaterThan(Duration.ofMinutes(2));
	}

	@Test
	void anAttackerOnOneAddressDoesNotLockThePersonOut() {
		fail(5, "ada", "203.0.113.5");
		for (int i = 0; i < 15; i++) {
			advance(throttle.signInWait("ada", "203.0.113.5"));
			fail(1, "ada", "203.0.113.5");
		}
		assertThat(throttle.signInWait("ada", "203.0.113.5")).isPositive();
		assertThat(throttle.signInWait("ada", "198.51.100.7")).as("the person at home").isZero();
	}

	@Test
	void manyAddressesTogetherSlowTheAccountDownButOnlyForAboutAMinute() {
		for (int i = 0; i < 50; i++) {
			fail(1, "ada", "203.0.113." + i);
		}
		var wait = throttle.signInWait("ada", "198.51.100.7");
		assertThat(wait).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(72));
		advance(wait);
		assertThat(throttle.signInWait("ada", "198.51.100.7")).isZero();
	}

	@Test
	void oneAddressTryingManyAccountsIsSlowedDown() {
		for (int i = 0; i < 20; i++) {
			fail(1, "person" + i, "203.0.113.5");
		}
		assertThat(throttle.signInWait("someone-else", "203.0.113.5")).isPositive();
		assertThat(throttle.signInWait("someone-else", "198.51.100.7")).isZero();
	}

	@Test
	void signingInForgivesTheAccountsFailures() {
		fail(5, "ada", "198.51.100.7");
		assertThat(throttle.signInWait("ada", "198.51.100.7")).isPositive();
		throttle.signedIn("ada", "198.51.100.7");
		assertThat(throttle.signInWait("ada", "198.51.100.7")).isZero();
	}

	@Test
	void invalidTokensFromOneAddressAreSlowedDown() {
		for (int i = 0; i < 30; i++) {
			assertThat(throttle.tokenWait("203.0.113.5")).isZero();
			throttle.tokenFailed("203.0.113.5");
		}
		assertThat(throttle.tokenWait("203.0.113.5")).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(2));
		assertThat(throttle.tokenWait("198.51.100.7")).isZero();
		advance(Duration.ofMinutes(1));
		assertThat(throttle.tokenWait("203.0.113.5")).isZero();
	}

	@Test
	void openRegistrationsAreLimitedPerAddressAndOverall() {
		for (int i = 0; i < 10; i++) {
			assertThat(throttle.registration("198.51.100.7")).as("registration %d", i + 1).isZero();
		}
		assertThat(throttle.registration("198.51.100.7")).as("the eleventh at once").isBetween(Duration.ofSeconds(1), Duration.ofMinutes(1));
		assertThat(throttle.registration("198.51.100.8")).as("another address").isZero();
		for (int i = 0; i < 289; i++) {
			assertThat(throttle.registration("203.0.113." + i)).as("address %d", i).isZero();
		}
		assertThat(throttle.registration("192.0.2.99")).as("the 301st in the hour, from anywhere").isPositive();
		advance(Duration.ofMinutes(1));
		assertThat(throttle.registration("198.51.100.7")).as("one more a minute later").isZero();
		assertThat(throttle.registration("198.51.100.7")).as("but not two").isPositive();
	}
}
