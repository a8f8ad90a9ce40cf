package org.familiar.compute;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The replicas serving together on one database. Each server keeps a lease ({@code replica} row)
 * that it renews every {@link #RENEW}; one that stops renewing (killed, its machine gone, its pod
 * replaced under a new name) is gone once the lease has run out ({@link #LEASE}). The first
 * survivor to delete a gone replica's row is the one that cleans up after it: it runs what the
 * modules registered with {@link #onDeparture} with the gone replica's name, so reservations it
 * held are settled and evaluation runs it ran go on here, exactly once.
 *
 * <p>The name is {@code familiar.node}, by default the host name (a pod's name on Kubernetes).
 * Two live replicas must not share one. Command-line tools on the same jar hold no lease.
 */
@Component
public class Replicas {

	private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Replicas.class);

	/** How long a lease lasts without renewal. */
	public static final Duration LEASE = Duration.ofSeconds(15);

	/** How often a replica renews its lease and looks for gone ones, in milliseconds (for {@code @Scheduled}). */
	static final long RENEW_MILLIS = 5_000;

	/** How often a replica renews its lease and looks for gone ones. */
	public static final Duration RENEW = Duration.ofMillis(RENEW_MILLIS);

	private final JdbcClient db;

	private final Clock clock;

	private final String node;

	private final Instant started;

	private final List<Consumer<String>> departures = new CopyOnWriteArrayList<>();

	private volatile boolean serving;

	Replicas(JdbcClient db, Clock clock, @Value("${familiar.node:}") @Nullable String node) {
		this.db = db;
		this.clock = clock;
		this.node = node == null || node.isBlank() ? hostName() : node;
		this.started = clock.instant();
	}

	private static String hostName() {
		try {
			return InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			return "familiar";
		}
	}

	/** This replica's name, as the ledger and evaluation runs record it. */
	public String node() {
		return node;
	}

	/** When this process started. */
	public Instant started() {
		return started;
	}

	/** Registers what to do when a gone replica is found: called once, on one survivor, with its name. */
	public void onDeparture(Consumer<String> cleanUp) {
		departures.add(cleanUp);
	}

	/** The replicas whose lease is current, this one included once it serves. */
	public Set<String> live() {
		return Set.copyOf(db.sql("select node from replica where expires_at > :now")
			.param("now", Timestamp.from(clock.instant()))
			.query(String.class)
			.list());
	}

	/** Starts holding a lease: the server calls this once it is ready. */
	public void serve() {
		serving = true;
		renewAndReap();
	}

	/** Renews this replica's lease, then cleans up after each replica whose lease ran out. */
	public void renewAndReap() {
		if (!serving) {
			return;
		}
		var now = clock.instant();
		int renewed = db.sql("update replica set expires_at = :expires where node = :node")
			.param("expires", Timestamp.from(now.plus(LEASE)))
			.param("node", node)
			.update();
		if (renewed == 0) {
			db.sql("insert into replica (node, started_at, expires_at) values (:node, :started, :expires)")
				.param("node", node)
				.param("started", Timestamp.from(started))
				.param("expires", Timestamp.from(now.plus(LEASE)))
				.update();
		}
		var gone = db.sql("select node from replica where expires_at < :now and node <> :node")
			.param("now", Timestamp.from(now))
			.param("node", node)
			.query(String.class)
			.list();
		for (var departed : gone) {
			// Whoever deletes the row cleans up; the others find nothing to delete.
			int claimed = db.sql("delete from replica where node = :node and expires_at < :now")
				.param("node", departed)
				.param("now", Timestamp.from(now))
				.update();
			if (claimed == 1) {
				log.warn("Replica '{}' stopped renewing its lease; cleaning up after it", departed);
				for (var cleanUp : departures) {
					try {
						cleanUp.accept(departed);
					}
					catch (RuntimeException failed) {
						log.error("Could not clean up after replica '{}'", departed, failed);
					}
				}
			}
		}
	}
}
