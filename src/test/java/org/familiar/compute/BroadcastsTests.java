package org.familiar.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.PatternTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Invalidation messages: delivered after the commit (never for a rollback), so no replica reloads
 * what it forgot before the change is visible; and over Redis to the other replicas, not back to
 * the sender. The Redis part runs in CI's PostgreSQL-and-Redis stage, on the machine's Redis.
 */
class BroadcastsTests {

	@Test
	void aMessagePublishedInATransactionIsDeliveredAfterTheCommitAndNeverOnRollback() {
		var transactions = new TransactionTemplate(
				new DataSourceTransactionManager(new DriverManagerDataSource("jdbc:h2:mem:broadcasts", "sa", "")));
		var broadcasts = new Broadcasts.InProcess();
		var seen = new CopyOnWriteArrayList<String>();
		broadcasts.subscribe("tokens", seen::add);

		transactions.executeWithoutResult(status -> {
			broadcasts.publish("tokens", "committed");
			assertThat(seen).as("not before the commit").isEmpty();
		});
		assertThat(seen).containsExactly("committed");

		transactions.executeWithoutResult(status -> {
			broadcasts.publish("tokens", "rolled back");
			status.setRollbackOnly();
		});
		broadcasts.publish("tokens", "outside a transaction");
		broadcasts.publish("other topic", "not for this listener");
		assertThat(seen).containsExactly("committed", "outside a transaction");
	}

	static boolean redis() {
		return TestHome.redis();
	}

	@Test
	@EnabledIf("redis")
	void overRedisTheOtherReplicasHearItAndTheSenderDoesNotHearItTwice() throws Exception {
		var url = URI.create(System.getenv().getOrDefault("SPRING_DATA_REDIS_URL", "redis://127.0.0.1:6379"));
		var connections = new LettuceConnectionFactory(new RedisStandaloneConfiguration(url.getHost(), url.getPort()));
		connections.afterPropertiesSet();
		connections.start();
		var one = replica(connections);
		var two = replica(connections);
		try {
			var heardByOne = new CopyOnWriteArrayList<String>();
			var heardByTwo = new CopyOnWriteArrayList<String>();
			one.broadcasts.subscribe("test.tokens", heardByOne::add);
			two.broadcasts.subscribe("test.tokens", heardByTwo::add);

			one.broadcasts.publish("test.tokens", "hash-1");
			await().atMost(Duration.ofSeconds(1)).until(() -> heardByTwo.contains("hash-1"));
			two.broadcasts.publish("test.tokens", "");
			await().atMost(Duration.ofSeconds(1)).until(() -> heardByOne.size() == 2);
			// Each heard its own message once (at once, in process) and the other's once (over Redis).
			await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
				.until(() -> heardByOne.equals(List.of("hash-1", "")) && heardByTwo.equals(List.of("hash-1", "")));
		}
		finally {
			one.listeners.stop();
			two.listeners.stop();
			connections.destroy();
		}
	}

	private record Replica(ScaleOut.OverRedis broadcasts, RedisMessageListenerContainer listeners) {
	}

	/** What {@link ScaleOut} sets up on one replica. */
	private static Replica replica(LettuceConnectionFactory connections) throws Exception {
		var template = new StringRedisTemplate(connections);
		var listeners = new RedisMessageListenerContainer();
		listeners.setConnectionFactory(connections);
		listeners.afterPropertiesSet();
		var broadcasts = (ScaleOut.OverRedis) new ScaleOut().redisBroadcasts(template, listeners);
		listeners.start();
		// Subscribed before the test publishes: the container subscribes asynchronously.
		var ready = new java.util.concurrent.CountDownLatch(1);
		listeners.addMessageListener((message, pattern) -> ready.countDown(), new PatternTopic("familiar:test.ready"));
		await().atMost(Duration.ofSeconds(5)).until(() -> {
			template.convertAndSend("familiar:test.ready", "x\ny");
			return ready.getCount() == 0;
		});
		return new Replica(broadcasts, listeners);
	}
}
