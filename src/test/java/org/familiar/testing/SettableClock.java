package org.familiar.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Familiar's own clock in tests that need a time of day (a digest at 12:00): the real time until a
 * test {@link #set}s it, then fixed there until it is set or {@link #advance}d again. Keep it near
 * the real time: the libraries that read the system clock (token expiry in Spring Authorization
 * Server) do not see it.
 */
public final class SettableClock extends Clock {

	private final AtomicReference<Instant> fixed = new AtomicReference<>();

	@Override
	public ZoneId getZone() {
		return ZoneOffset.UTC;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		return Clock.fixed(instant(), zone);
	}

	@Override
	public Instant instant() {
		var at = fixed.get();
		return at != null ? at : Instant.now();
	}

	/** Stops the clock at {@code at}. */
	public void set(Instant at) {
		fixed.set(at);
	}

	/** Runs the real time again. */
	public void release() {
		fixed.set(null);
	}

	public void advance(Duration by) {
		fixed.set(instant().plus(by));
	}

	/** The clock as Familiar's bean: {@code @Import(SettableClock.Bean.class)}. */
	@org.springframework.boot.test.context.TestConfiguration(proxyBeanMethods = false)
	public static class Bean {

		@org.springframework.context.annotation.Bean
		@org.springframework.context.annotation.Primary
		SettableClock settableClock() {
			return new SettableClock();
		}
	}
}
