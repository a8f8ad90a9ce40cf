package org.familiar.compute;

import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * The server holds its replica lease from when it is ready and renews it every five seconds (see
 * {@link Replicas}, {@link Replicas#RENEW}). A graceful stop keeps the lease: what the replica leaves behind is cleaned up
 * when it runs out. Not in command-line tools.
 */
@Component
@ConditionalOnWebApplication
class ReplicaLease {

	private final Replicas replicas;

	ReplicaLease(Replicas replicas) {
		this.replicas = replicas;
	}

	@EventListener(ApplicationReadyEvent.class)
	void serve() {
		replicas.serve();
	}

	@Scheduled(fixedDelay = Replicas.RENEW_MILLIS, initialDelay = Replicas.RENEW_MILLIS)
	void renew() {
		replicas.renewAndReap();
	}
}
