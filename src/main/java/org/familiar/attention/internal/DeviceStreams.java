package org.familiar.attention.internal;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.familiar.attention.AttentionManagement;
import org.familiar.attention.AttentionSettings;
import org.familiar.identity.PersonId;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.MediaType;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * The open event streams on this replica: one per device (its own events) or per web app page
 * (all of the person's). A stream holds no thread while it waits; when a person has new events
 * (on any replica, told by broadcast) each of their streams reads what it has not sent yet from
 * the database and sends it, with the event's sequence number as its SSE id, so a device that
 * reconnects with {@code Last-Event-ID} misses nothing.
 */
@Component
public class DeviceStreams implements DisposableBean {

	private static final int BATCH = 200;

	private final AttentionManagement attention;

	private final AttentionSettings settings;

	private final Map<PersonId, Set<Stream>> streams = new ConcurrentHashMap<>();

	private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();

	private final AtomicInteger open = new AtomicInteger();

	DeviceStreams(AttentionManagement attention, AttentionSettings settings, io.micrometer.core.instrument.MeterRegistry meters) {
		this.attention = attention;
		this.settings = settings;
		attention.onEvents(person -> {
			var theirs = streams.get(person);
			if (theirs != null) {
				theirs.forEach(stream -> senders.execute(() -> send(stream)));
			}
		});
		meters.gauge("familiar.attention.streams", open);
	}

	/** How many streams this replica holds open. */
	public int open() {
		return open.get();
	}

	/**
	 * Opens a stream: a device's ({@code device} set) from after {@code lastEventId}, or else from
	 * after what it was last sent; the web app's from now.
	 */
	public SseEmitter open(PersonId person, @Nullable String device, @Nullable Long lastEventId) {
		var emitter = new SseEmitter(settings.streamTimeout().toMillis());
		long from = lastEventId != null ? lastEventId
				: device != null ? attention.deliveredSeq(person, device) : attention.latestSeq(person);
		var stream = new Stream(person, device, emitter, new AtomicLong(from));
		streams.computeIfAbsent(person, p -> ConcurrentHashMap.newKeySet()).add(stream);
		open.incrementAndGet();
		Runnable gone = () -> close(stream);
		emitter.onCompletion(gone);
		emitter.onTimeout(gone);
		emitter.onError(error -> gone.run());
		try {
			emitter.send(SseEmitter.event().comment("connected").reconnectTime(Duration.ofSeconds(3).toMillis()));
		}
		catch (IOException ex) {
			close(stream);
			return emitter;
		}
		senders.execute(() -> send(stream));
		return emitter;
	}

	private void close(Stream stream) {
		var theirs = streams.get(stream.person());
		if (theirs != null && theirs.remove(stream)) {
			open.decrementAndGet();
			if (theirs.isEmpty()) {
				streams.remove(stream.person(), theirs);
			}
		}
	}

	/** A comment on every open stream now and then, so proxies and load balancers keep them open. */
	@Scheduled(fixedDelayString = "${familiar.attention.heartbeat:PT25S}")
	void heartbeat() {
		streams.values().forEach(theirs -> theirs.forEach(stream -> senders.execute(() -> {
			try {
				synchronized (stream) {
					stream.emitter().send(SseEmitter.event().comment("keep-alive"));
				}
			}
			catch (IOException | IllegalStateException gone) {
				close(stream);
			}
		})));
	}

	private record Stream(PersonId person, @Nullable String device, SseEmitter emitter, AtomicLong last) {
	}

	/** Sends what a stream has not sent yet; one sender at a time per stream. */
	private void send(Stream stream) {
		synchronized (stream) {
			try {
				while (true) {
					var events = attention.events(stream.person(), stream.device(), stream.last().get(), BATCH);
					for (var event : events) {
						stream.emitter().send(SseEmitter.event().id(Long.toString(event.seq())).name("notification")
							.data(event.payload(), MediaType.APPLICATION_JSON));
						stream.last().set(event.seq());
						if (stream.device() != null) {
							attention.delivered(stream.person(), stream.device(), event);
						}
					}
					if (events.size() < BATCH) {
						return;
					}
				}
			}
			catch (IOException | IllegalStateException gone) {
				close(stream);
			}
		}
	}

	@Override
	public void destroy() {
		// Each stream on its own: one whose client left unnoticed (its response already recycled by
		// the server) must not keep the rest open.
		streams.values().forEach(theirs -> theirs.forEach(stream -> {
			try {
				stream.emitter().complete();
			}
			catch (IllegalStateException alreadyGone) {
				close(stream);
			}
		}));
		senders.shutdownNow();
	}
}
