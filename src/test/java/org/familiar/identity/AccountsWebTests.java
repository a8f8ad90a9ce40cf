package org.familiar.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestBuilders.formLogin;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.security.test.web.servlet.response.SecurityMockMvcResultMatchers.authenticated;
import static org.springframework.security.test.web.servlet.response.SecurityMockMvcResultMatchers.unauthenticated;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.flash;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.redirectedUrl;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.familiar.compute.WorkloadClass;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.AutoConfigureMockMvc;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.MockMvc;

/** First run, sign-in, people and tokens through the web app (Spring Security's real filter chain). */
@SpringBootTest
@AutoConfigureMockMvc
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccountsWebTests {

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) {
		TestHome.isolate(registry);
		registry.add("familiar.plans.pro.token-budget", () -> "5000000");
		registry.add("familiar.plans.free.token-budget", () -> "10000");
	}

	@Autowired
	MockMvc mvc;

	@Autowired
	IdentityManagement identity;

	@Autowired
	JdbcClient jdbc;

	@Test
	@Order(1)
	void firstRunAsksForTheFirstAccountWhichBecomesAdministrator() throws Exception {
		mvc.perform(get("/chat")).andExpect(redirectedUrl("/setup"));
		mvc.perform(get("/login")).andExpect(redirectedUrl("/setup"));
		mvc.perform(post("/setup").param("username", "Ada").param("password", "analytical").param("confirm", "analytical"))
			.andExpect(status().isForbidden());
		mvc.perform(post("/setup").with(csrf()).param("username", "Ada").param("password", "short").param("confirm", "short"))
			.andExpect(status().isOk())
			.andExpect(content().string(org.hamcrest.Matchers.containsString("at least 8 characters")));
		mvc.perform(post("/setup").with(csrf()).param("username", "Ada").param("password", "analytical").param("confirm", "analytical"))
			.andExpect(redirectedUrl("/login?created"));
		assertThat(identity.person("ada").admin()).isTrue();
		mvc.perform(post("/setup").with(csrf()).param("username", "eve").param("password", "analytical").param("confirm", "analytical"))
			.andExpect(status().isOk());
		assertThat(identity.people()).extracting(Person::username).doesNotContain("eve");
	}

	@Test
	@Order(2)
	void signsInWithThePasswordStoredAsArgon2() throws Exception {
		mvc.perform(formLogin("/login").user("ada").password("analytical")).andExpect(authenticated());
		mvc.perform(formLogin("/login").user("ada").password("wrong password")).andExpect(unauthenticated());
		var hash = jdbc.sql("select password_hash from person where username = 'ada'").query(String.class).single();
		assertThat(hash).startsWith("{argon2}").doesNotContain("analytical");
	}

	@Test
	@Order(3)
	void onlyAdministratorsAddPeople() throws Exception {
		mvc.perform(post("/admin/people").with(csrf()).with(user("bob").roles("USER")).param("username", "mallory").param("password", "password1"))
			.andExpect(status().isForbidden());
		mvc.perform(post("/admin/people").with(csrf()).with(user("ada").roles("USER", "ADMIN"))
			.param("username", "grace").param("password", "compiler!").param("plan", "pro"))
			.andExpect(redirectedUrl("/admin/people"));
		assertThat(identity.person("grace").plan()).isEqualTo("pro");
		assertThat(identity.person("grace").admin()).isFalse();
		// Only configured plans: an unknown one is refused, named, and nobody is added.
		mvc.perform(post("/admin/people").with(csrf()).with(user("ada").roles("USER", "ADMIN"))
			.param("username", "heidi").param("password", "compiler!").param("plan", "gold"))
			.andExpect(redirectedUrl("/admin/people"))
			.andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.flash()
				.attribute("error", org.hamcrest.Matchers.containsString("There is no plan 'gold'")))
			.andExpect(org.springframework.test.web.servlet.result.MockMvcResultMatchers.flash().attribute("typedUsername", "heidi"));
		assertThat(identity.people()).extracting(Person::username).doesNotContain("heidi");

		var grace = identity.person("grace").id().value();
		mvc.perform(post("/admin/people/" + grace + "/plan").with(csrf()).with(user("bob").roles("USER")).param("plan", "free"))
			.andExpect(status().isForbidden());
		mvc.perform(post("/admin/people/" + grace + "/plan").with(user("ada").roles("USER", "ADMIN")).param("plan", "free"))
			.andExpect(status().isForbidden());
		mvc.perform(post("/admin/people/" + grace + "/plan").with(csrf()).with(user("ada").roles("USER", "ADMIN"))
			.param("plan", "free"))
			.andExpect(redirectedUrl("/admin/people"));
		assertThat(identity.person("grace").plan()).isEqualTo("free");
	}

	@Test
	@Order(4)
	void theChatsModelPickerOffersOnlyModelsThatChat() throws Exception {
		var ada = new SignedInPerson(identity.person("ada"), "n/a");
		mvc.perform(get("/chat").with(user(ada)))
			.andExpect(status().isOk())
			.andExpect(content().string(org.hamcrest.Matchers.containsString("value=\"Llama-3.2-1B-Instruct-JQ4\"")))
			.andExpect(content().string(org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("familiar-embed"))));
	}

	@Test
	@Order(5)
	void tokensAreShownOnceStoredHashedAndRevocable() throws Exception {
		var ada = identity.person("ada");
		var principal = new SignedInPerson(ada, "n/a");
		var created = mvc.perform(post("/settings/tokens").with(csrf()).with(user(principal)).param("label", "laptop").param("workload", "batch"))
			.andExpect(redirectedUrl("/settings/tokens"))
			.andExpect(flash().attributeExists("secret"))
			.andReturn();
		var secret = (String) created.getFlashMap().get("secret");
		assertThat(secret).startsWith("fam_");
		var stored = jdbc.sql("select token_hash from access_token where label = 'laptop'").query(String.class).single();
		assertThat(stored).isEqualTo(IdentityManagement.hash(secret)).isNotEqualTo(secret);

		var caller = identity.authenticate(secret).orElseThrow();
		assertThat(caller.workload()).isEqualTo(WorkloadClass.BATCH);
		assertThat(caller.person()).isEqualTo(ada.id());

		var page = mvc.perform(get("/settings/tokens").with(user(principal))).andReturn().getResponse().getContentAsString();
		assertThat(page).contains("laptop").doesNotContain(secret);

		var id = identity.tokens(ada.id()).stream().filter(t -> t.label().equals("laptop")).findFirst().orElseThrow().id();
		var grace = identity.person("grace");
		assertThat(identity.revokeToken(grace.id(), id)).as("someone else's token").isFalse();
		assertThat(identity.authenticate(secret)).isPresent();
		mvc.perform(post("/settings/tokens/" + id + "/revoke").with(csrf()).with(user(principal)))
			.andExpect(redirectedUrl("/settings/tokens"));
		assertThat(identity.authenticate(secret)).isEmpty();
	}
}
