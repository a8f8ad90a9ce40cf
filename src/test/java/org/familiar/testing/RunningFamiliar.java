package org.familiar.testing;

import java.io.IOException;
import org.familiar.identity.IdentityManagement;
import org.junit.jupiter.api.AfterAll;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A test class's own Familiar on a real port, with its own home (and schema), and one stand-in
 * model server configured as the backend {@code fake}. The context is closed after the class:
 * subclasses share this configuration, and must not share a context whose backend has stopped.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
public abstract class RunningFamiliar {

	protected static FakeModelServer backend;

	/** The home (and schema) settings, for command-line runs on the same data. */
	protected static java.util.Map<String, String> config;

	@DynamicPropertySource
	static void familiarWithFakeBackend(DynamicPropertyRegistry registry) throws IOException {
		config = TestHome.isolate(registry);
		backend = FakeModelServer.serve(registry, "fake", 0);
	}

	@AfterAll
	static void stopBackend() {
		backend.close();
	}

	@LocalServerPort
	protected int port;

	@Autowired
	protected IdentityManagement identity;
}
