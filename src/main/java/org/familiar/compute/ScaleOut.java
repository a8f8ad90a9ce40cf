package org.familiar.compute;

import java.nio.charset.StandardCharsets;
import org.familiar.compute.capacity.CapacityScheduler;
import org.familiar.compute.capacity.InProcessScheduler;
import org.familiar.compute.capacity.RedisSchedulers;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Profile;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.PatternTopic;
import org.springframework.data.redis.listener.RedisMessageListenerContainer;

/**
 * What replicas share beyond the database. The {@code redis} profile turns on Spring Data Redis
 * (and with it Spring Session's Redis store for web sessions); then {@link Broadcasts} go over
 * Redis pub/sub and backends' capacity is scheduled in Redis ({@link RedisSchedulers}). Without it
 * everything stays in this process.
 */
@Configuration(proxyBeanMethods = false)
class ScaleOut {

	private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ScaleOut.class);

	static final String CHANNELS = "familiar:";

	@Bean
	@Profile("redis")
	RedisMessageListenerContainer broadcastListeners(RedisConnectionFactory redis) {
		var container = new RedisMessageListenerContainer();
		container.setConnectionFactory(redis);
		return container;
	}

	@Bean
	@Profile("redis")
	Broadcasts redisBroadcasts(StringRedisTemplate redis,
			@org.springframework.beans.factory.annotation.Qualifier("broadcastListeners") RedisMessageListenerContainer listeners) {
		var broadcasts = new OverRedis(redis);
		listeners.addMessageListener((message, pattern) -> {
			var channel = new String(message.getChannel(), StandardCharsets.UTF_8);
			var body = new String(message.getBody(), StandardCharsets.UTF_8);
			broadcasts.arrived(channel.substring(CHANNELS.length()), body);
		}, new PatternTopic(CHANNELS + "*"));
		return broadcasts;
	}

	@Bean(destroyMethod = "close")
	@Profile("redis")
	RedisSchedulers sharedCapacity(StringRedisTemplate redis,
			@org.springframework.beans.factory.annotation.Qualifier("broadcastListeners") RedisMessageListenerContainer listeners) {
		var schedulers = new RedisSchedulers(redis);
		listeners.addMessageListener(
				(message, pattern) -> schedulers.granted(new String(message.getBody(), StandardCharsets.UTF_8)),
				new ChannelTopic(RedisSchedulers.GRANTS));
		return schedulers.start();
	}

	@Bean
	@Profile("!redis")
	CapacityScheduler.Factory inProcessCapacity() {
		return (backend, identity, slots, policies, clock) -> new InProcessScheduler(backend, slots, policies, clock);
	}

	@Bean
	@Profile("!redis")
	Broadcasts inProcessBroadcasts() {
		return new Broadcasts.InProcess();
	}

	/** Messages go out as {@code sender \n message}; a replica ignores its own (it ran them already). */
	static final class OverRedis extends Broadcasts {

		private final StringRedisTemplate redis;

		OverRedis(StringRedisTemplate redis) {
			this.redis = redis;
		}

		/** A message Redis cannot take is logged, not thrown: the change is committed, and caches expire anyway. */
		@Override
		protected void send(String topic, String message) {
			try {
				redis.convertAndSend(CHANNELS + topic, sender + "\n" + message);
			}
			catch (RuntimeException unreachable) {
				log.warn("Could not tell the other replicas about {} ({}); their caches catch up when they expire", topic,
						unreachable.getMessage());
			}
		}

		void arrived(String topic, String body) {
			int split = body.indexOf('\n');
			if (split < 0 || body.substring(0, split).equals(sender)) {
				return;
			}
			receive(topic, body.substring(split + 1));
		}
	}
}
