package org.familiar.compute.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.familiar.compute.WorkloadClass.INTERACTIVE;
import static org.familiar.compute.WorkloadClass.RESEARCH;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.familiar.compute.WorkloadClass;
import org.familiar.compute.capacity.CapacityScheduler.Policy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

/**
 * The scheduler's rules with their state in the machine's Redis (127.0.0.1:6379), and what only
 * a shared scheduler has to do: replicas (here, separate {@link RedisSchedulers}, as each replica
 * has one) share a backend's slots, a slot freed on one wakes a request waiting on another, and
 * the slots and places of a replica that stops renewing its leases come back. Runs wherever a
 * Redis answers there, as on this machine and in CI; skipped elsewhere.
 */
@EnabledIf("redisAnswers")
class RedisSchedulerTests extends CapacitySchedulerTests {

	static boolean redisAnswers() {
		try (var socket = new java.net.Socket()) {
			socket.connect(new java.net.InetSocketAddress("127.0.0.1", 6379), 500);
			return true;
		}
		catch (java.io.IOException ex) {
			return false;
		}
	}

	private final LettuceConnectionFactory connections = connect();

	private final StringRedisTemplate redis = new StringRedisTemplate(connections);

	/** Keeps this test's keys apart from any other run's. */
	private final String prefix = "test-" + UUID.randomUUID() + "-";

	private final List<RedisSchedulers> replicas = new ArrayList<>();

	private static LettuceConnectionFactory connect() {
		var factory = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", 6379));
		factory.afterPropertiesSet();
		factory.start();
		return factory;
	}

	private RedisSchedulers replica() {
		var replica = new RedisSchedulers(redis);
		replicas.add(replica);
		return replica;
	}

	@Override
	protected CapacityScheduler scheduler(String backend, int slots, Map<WorkloadClass, Policy> policies) {
		return (replicas.isEmpty() ? replica() : replicas.getFirst()).create(backend, prefix + backend, slots, policies, clock);
	}

	/** Every replica renews its leases whenever time moves (it would every two seconds). */
	@Override
	protected void advance(Duration by) {
		super.advance(by);
		replicas.forEach(RedisSchedulers::renew);
	}

	@AfterEach
	void forget() {
		replicas.forEach(RedisSchedulers::close);
		var keys = redis.keys(RedisSchedulers.KEYS + prefix + "*");
		if (keys != null && !keys.isEmpty()) {
			redis.delete(keys);
		}
		connections.destroy();
	}

	@Test
	void replicasShareOneBackendsSlotsAndASlotFreedOnOneWakesAWaiterOnTheOther() {
		var listeners = new RedisMessageListenerContainer();
		listeners.setConnectionFactory(connections);
		var a = replica();
		var b = replica();
		listeners.addMessageListener((message, pattern) -> b.granted(new String(message.getBody(), StandardCharsets.UTF_8)),
				new ChannelTopic(RedisSchedulers.GRANTS));
		listeners.afterPropertiesSet();
		listeners.start();
		try {
			var policies = policy(3, 1, 2, 1, 4, 100);
			var onA = a.create("shared", prefix + "shared", 2, policies, clock);
			var onB = b.create("shared", prefix + "shared", 2, policies, clock);
			var first = onA.request(INTERACTIVE, "ann");
			var second = onB.request(INTERACTIVE, "bob");
			var third = onB.request(INTERACTIVE, "cat");

			assertThat(first.granted()).isTrue();
			assertThat(second.granted()).isTrue();
			assertThat(third.granted()).as("two slots in all, whichever replica asks").isFalse();
			assertThat(onA.load().running()).isEqualTo(2);
			assertThat(onA.load().waiting()).isEqualTo(1);

			advance(Duration.ofSeconds(2));
			first.release();
			await().atMost(Duration.ofSeconds(2)).until(third::granted);
			assertThat(third.waited()).isLessThanOrEqualTo(Duration.ofSeconds(2));
		}
		finally {
			listeners.stop();
			try {
				listeners.destroy();
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		}
	}

	@Test
	void theSlotsAndPlacesOfAReplicaThatStopsRenewingComeBackWithinALease() {
		var gone = replica();
		var survivor = replica();
		replicas.remove(gone); // it dies: nothing renews its leases
		var policies = policy(3, 1, 2, 1, 4, 100);
		var onGone = gone.create("shared", prefix + "shared", 2, policies, clock);
		var onSurvivor = survivor.create("shared", prefix + "shared", 2, policies, clock);
		onGone.request(RESEARCH, "eve");
		onGone.request(RESEARCH, "eve");
		onGone.request(RESEARCH, "eve");
		var waiting = onSurvivor.request(INTERACTIVE, "ann");
		assertThat(waiting.granted()).isFalse();

		// The survivor renews every third of a lease; the other replica has died and renews nothing.
		var step = survivor.renewEvery();
		for (var elapsed = step; elapsed.compareTo(RedisSchedulers.LEASE) <= 0; elapsed = elapsed.plus(step)) {
			advance(step);
			survivor.renew();
			assertThat(waiting.granted()).as("the dead replica's slots are still leased").isFalse();
		}
		advance(survivor.renewEvery());
		survivor.renew();

		assertThat(waiting.granted()).as("granted once the dead replica's leases ran out").isTrue();
		var load = onSurvivor.load();
		assertThat(load.running()).isEqualTo(1);
		assertThat(load.waiting()).as("the dead replica's queued request is gone too").isZero();
	}

	@Test
	void aRenewedTicketKeepsItsSlotAndPlaceForAsLongAsItRuns() {
		var replica = replica();
		var scheduler = replica.create("long", prefix + "long", 1, policy(3, 1, 2, 1, 4, 100), clock);
		var running = scheduler.request(RESEARCH, "eve");
		var waiting = scheduler.request(RESEARCH, "fay");
		for (int i = 0; i < 30; i++) {
			advance(replica.renewEvery());
			replica.renew();
		}
		assertThat(running.granted()).isTrue();
		assertThat(waiting.granted()).isFalse();
		assertThat(scheduler.load().running()).isEqualTo(1);
		running.release();
		assertThat(waiting.granted()).isTrue();
	}

	@Test
	void closingAReplicaGivesBackWhatItHolds() {
		var leaving = replica();
		var other = replica();
		var policies = policy(3, 1, 2, 1, 4, 100);
		leaving.create("shared", prefix + "shared", 1, policies, clock).request(RESEARCH, "eve");
		var onOther = other.create("shared", prefix + "shared", 1, policies, clock);
		var waiting = onOther.request(RESEARCH, "fay");
		assertThat(waiting.granted()).isFalse();

		leaving.close();
		other.renew();
		assertThat(waiting.granted()).isTrue();
		waiting.release();
		assertThat(onOther.load().running()).isZero();
	}

	@Test
	void withRedisUnreachableARequestIsRefusedAsUnavailableAndTheLoadReadsEmpty() {
		var nowhere = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", 1));
		nowhere.afterPropertiesSet();
		nowhere.start();
		try {
			var scheduler = new RedisSchedulers(new StringRedisTemplate(nowhere)).create("gpu", prefix + "gpu", 2,
					policy(3, 1, 2, 1, 4, 100), clock);
			org.assertj.core.api.Assertions.assertThatThrownBy(() -> scheduler.request(INTERACTIVE, "ann"))
				.isInstanceOf(org.familiar.compute.BackendUnavailableException.class)
				.hasMessageContaining("Redis is unreachable");
			assertThat(scheduler.load().running()).isZero();
		}
		finally {
			nowhere.destroy();
		}
	}
}
