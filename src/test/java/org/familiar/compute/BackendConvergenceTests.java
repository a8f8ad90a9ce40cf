package org.familiar.compute;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.time.Clock;
import java.util.Map;
import org.familiar.compute.capacity.InProcessScheduler;
import org.familiar.testing.FakeModelServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.StaticListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * Two replicas' catalogues of the same backend, joined as Redis pub/sub joins them (here a relay
 * that hands each one's messages to the other): what one finds out about the backend, the other
 * knows at once. A backend is its name and URL: a replica whose backend of the same name is
 * another server (another URL) takes nothing from those reports.
 */
class BackendConvergenceTests {

	private FakeModelServer backend = new FakeModelServer(0, 0);

	private final Relay onA = new Relay();

	private final Relay onB = new Relay();

	private final ModelCatalogue a = catalogue(backend.baseUrl(), onA);

	private final ModelCatalogue b = catalogue(backend.baseUrl(), onB);

	BackendConvergenceTests() throws Exception {
		onA.other = onB; // what A publishes, B receives, and the other way round
		onB.other = onA;
	}

	/** A replica's broadcasts: its own listeners run here, and {@link #send} delivers to the other replica's. */
	static final class Relay extends Broadcasts {

		Relay other;

		@Override
		protected void send(String topic, String message) {
			other.receive(topic, message);
		}
	}

	private static ModelCatalogue catalogue(String url, Broadcasts broadcasts) {
		var settings = new Binder(new MapConfigurationPropertySource(Map.of("familiar.home", "/tmp/unused",
				"familiar.embedded.enabled", "false", "familiar.backends.gpu.url", url,
				"familiar.backends.gpu.models", FakeModelServer.MODEL, "familiar.breaker.minimum-calls", "2",
				"familiar.breaker.window", "2")))
			.bind("familiar", ComputeSettings.class)
			.get();
		return new ModelCatalogue(settings, Clock.systemUTC(),
				CircuitBreakerRegistry.of(ModelCatalogue.breakerConfig(settings.breaker())),
				new StaticListableBeanFactory().getBeanProvider(TextEmbedder.class),
				(name, identity, slots, policies, clock) -> new InProcessScheduler(name, slots, policies, clock), broadcasts);
	}

	private static ModelCatalogue.Entry gpu(ModelCatalogue catalogue) {
		return catalogue.entries().stream().filter(e -> e.backend.name().equals("gpu")).findFirst().orElseThrow();
	}

	@AfterEach
	void close() {
		a.destroy();
		b.destroy();
		backend.close();
	}

	@Test
	void aBackendFoundDownOrBackOnOneReplicaIsDownOrBackOnTheOther() throws Exception {
		b.refresh();
		assertThat(gpu(b).healthy).as("B reaches the backend").isTrue();

		int port = backend.port();
		backend.close();
		a.refresh();
		assertThat(gpu(a).healthy).isFalse();
		assertThat(gpu(b).healthy).as("down on B too, as A found").isFalse();
		assertThat(gpu(b).message).isEqualTo(gpu(a).message);

		backend = new FakeModelServer(port, 0);
		b.refresh();
		assertThat(gpu(b).healthy).isTrue();
		assertThat(gpu(a).healthy).as("back on A too, as B found").isTrue();
	}

	@Test
	void aBackendOfTheSameNameAtAnotherAddressIsAnotherBackend() throws Exception {
		var elsewhere = new Relay();
		var other = catalogue("http://127.0.0.1:1/v1", elsewhere);
		elsewhere.other = onB;
		try {
			b.refresh();
			other.refresh();
			assertThat(gpu(other).healthy).as("nothing answers at its address").isFalse();
			assertThat(gpu(b).healthy).as("B's gpu is another server, still up").isTrue();
			gpu(other).breaker.transitionToOpenState();
			assertThat(gpu(b).breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
		}
		finally {
			other.destroy();
		}
	}

	@Test
	void aBreakerThatOpensOrClosesOnOneReplicaDoesTheSameOnTheOther() {
		gpu(a).breaker.transitionToOpenState();
		assertThat(gpu(b).breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

		gpu(b).breaker.transitionToHalfOpenState();
		assertThat(gpu(a).breaker.getState()).as("a half-open trial stays each replica's own")
			.isEqualTo(CircuitBreaker.State.OPEN);
		gpu(b).breaker.transitionToClosedState();
		assertThat(gpu(a).breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
	}
}
