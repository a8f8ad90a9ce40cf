package org.familiar.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Locale;
import java.util.UUID;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Gives each test class its own Familiar: a fresh {@code familiar.home} (so its own H2 file) and,
 * when the suite runs under the {@code postgres} profile ({@code .ci/run}), its own PostgreSQL
 * schema in the {@code test} database. Call it from a {@code @DynamicPropertySource} method.
 */
public final class TestHome {

	private TestHome() {
	}

	/**
	 * Registers a fresh home (and schema) with the test's context.
	 * @return the same settings, to pass to a CLI command that must work on the same data
	 */
	public static Map<String, String> isolate(DynamicPropertyRegistry registry) {
		var properties = fresh();
		properties.forEach((key, value) -> registry.add(key, () -> value));
		return properties;
	}

	/** A fresh home (and schema), as configuration properties. */
	public static Map<String, String> fresh() {
		try {
			var properties = new LinkedHashMap<String, String>();
			var home = Files.createTempDirectory("familiar-test-");
			properties.put("familiar.home", home.toString());
			if (postgres()) {
				var schema = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
				var url = System.getenv().getOrDefault("FAMILIAR_DB_URL", "jdbc:postgresql://127.0.0.1:5432/test");
				properties.put("spring.datasource.url", url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema);
				properties.put("spring.flyway.schemas", schema);
				properties.put("spring.flyway.create-schemas", "true");
				// Every test class has a context of its own; small pools keep PostgreSQL under max_connections.
				properties.put("spring.datasource.hikari.maximum-pool-size", "5");
				properties.put("spring.datasource.hikari.minimum-idle", "1");
			}
			if (redis()) {
				// Each test's web sessions apart: Settings lists a person's sessions by name, and many tests have an "ada".
				properties.put("spring.session.redis.namespace",
						"familiar:session:" + UUID.randomUUID().toString().substring(0, 8));
				// And their throttling buckets (sign-in, tokens, open registration), which Redis keeps for an hour.
				properties.put("familiar.identity.throttle-namespace",
						"familiar:guess:" + UUID.randomUUID().toString().substring(0, 8) + ":");
			}
			return properties;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	public static boolean postgres() {
		return profiles().contains("postgres");
	}

	/** Whether the suite runs with the {@code redis} profile (sessions, invalidation and capacity shared in Redis). */
	public static boolean redis() {
		return profiles().contains("redis");
	}

	private static String profiles() {
		return System.getProperty("spring.profiles.active", System.getenv().getOrDefault("SPRING_PROFILES_ACTIVE", ""));
	}
}
