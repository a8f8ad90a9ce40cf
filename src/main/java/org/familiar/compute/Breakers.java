package org.familiar.compute;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** One Resilience4j circuit breaker per backend, with its state exported to Prometheus. */
@Configuration(proxyBeanMethods = false)
class Breakers {

	@Bean
	CircuitBreakerRegistry circuitBreakers(ComputeSettings settings, MeterRegistry meters) {
		var registry = CircuitBreakerRegistry.of(ModelCatalogue.breakerConfig(settings.breaker()));
		TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry).bindTo(meters);
		return registry;
	}
}
