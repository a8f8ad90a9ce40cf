package org.familiar.media.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.familiar.media.MediaSettings;
import org.junit.jupiter.api.Test;

/** Public checks are bounded per address, and one address using up its share leaves others theirs. */
class VerifyThrottleTests {

	@Test
	void anAddressGetsItsShareAndNoMore() {
		var throttle = new VerifyThrottle(new MediaSettings(4, 20, 4, Duration.ofSeconds(2), Duration.ofHours(1), 1000, 3));
		assertThat(throttle.allow("192.0.2.1")).isTrue();
		assertThat(throttle.allow("192.0.2.1")).isTrue();
		assertThat(throttle.allow("192.0.2.1")).isTrue();
		assertThat(throttle.allow("192.0.2.1")).isFalse();
		assertThat(throttle.allow("192.0.2.2")).isTrue();
	}
}
