package org.familiar.compute;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.annotation.EnableScheduling;

/** Probes the backends when the server is up and then periodically (not in CLI commands). */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
@ConditionalOnWebApplication
class HealthChecks {

	private final ModelCatalogue catalogue;

	HealthChecks(ModelCatalogue catalogue) {
		this.catalogue = catalogue;
	}

	@EventListener(ApplicationReadyEvent.class)
	void firstProbe() {
		Thread.ofVirtual().name("backend-probe").start(catalogue::refresh);
	}

	@Scheduled(fixedDelayString = "${familiar.health-check-interval:PT30S}",
			initialDelayString = "${familiar.health-check-interval:PT30S}")
	void probe() {
		catalogue.refresh();
	}
}
