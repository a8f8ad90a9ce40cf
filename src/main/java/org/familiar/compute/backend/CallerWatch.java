package org.familiar.compute.backend;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.familiar.compute.TokenSink;

/**
 * Polls a silent sink's {@link TokenSink#callerGone()} while its request runs and cancels the
 * generation when the caller has left, so a client that abandons a plain request frees its slot
 * and its reservation at once instead of when the model finishes. The check and {@link #stop()}
 * exclude each other: once {@code stop} returns, the sink is never touched from here again.
 */
final class CallerWatch {

	private static final ScheduledExecutorService CHECKS = Executors.newSingleThreadScheduledExecutor(task -> {
		var thread = new Thread(task, "familiar-caller-watch");
		thread.setDaemon(true);
		return thread;
	});

	private final Generation generation;

	private final TokenSink sink;

	private final ScheduledFuture<?> checks;

	private boolean stopped;

	CallerWatch(Generation generation, TokenSink sink, Duration every) {
		this.generation = generation;
		this.sink = sink;
		long period = Math.max(1, every.toMillis());
		this.checks = CHECKS.scheduleWithFixedDelay(this::check, period, period, TimeUnit.MILLISECONDS);
	}

	private synchronized void check() {
		if (stopped) {
			return;
		}
		try {
			if (sink.callerGone()) {
				stopped = true;
				generation.cancel();
			}
		}
		catch (RuntimeException ex) {
			// A check that cannot tell is no reason to stop the reply; the next one may.
		}
	}

	synchronized void stop() {
		stopped = true;
		checks.cancel(false);
	}
}
