package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import org.familiar.identity.IdentityManagement;
import org.familiar.testing.TestHome;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A first run where no model answers (no model server configured, the embedded engine off):
 * administrators are shown how to connect one, with the lines to add; everyone else a plain
 * sentence, without configuration keys, paths or exception names.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class FirstRunWithoutAModelTests {

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) {
		TestHome.isolate(registry);
		registry.add("familiar.embedded.enabled", () -> "false");
	}

	@LocalServerPort
	int port;

	@Autowired
	IdentityManagement identity;

	@Test
	void administratorsAreShownHowToConnectAModelServerAndOthersAPlainSentence() {
		identity.addPerson("ada", "analytical engine", true, null);
		identity.addPerson("bea", "bea's password", false, null);

		var admin = new WebSession(port);
		admin.signIn("ada", "analytical engine");
		var guide = admin.get("/chat").body();
		assertThat(guide).contains("Connect a model server").contains("backends:\n    ollama:\n      url: http://localhost:11434/v1")
			.contains("data-copy=\"#connect-line\"");

		var member = new WebSession(port);
		member.signIn("bea", "bea's password");
		var page = member.get("/chat").body();
		assertThat(page).contains("Familiar cannot answer yet: no model is connected. Your administrator can connect one.")
			.doesNotContain("Connect a model server").doesNotContain("familiar.backends").doesNotContain("Exception");
	}
}
