package org.familiar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.IdentityManagement;
import org.familiar.memory.MemoryManagement;
import org.familiar.testing.Chromium;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.TestHome;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The web app around the chat, in Chromium: Settings (theme, language, default model, password,
 * signed-in browsers), the administrator's People page (configured plans only, roles, disable,
 * reset password, delete), apps deleted and secrets rotated, forms that keep what was typed, the
 * app's own 403 and 404 pages; then every page at desktop and phone sizes, light and dark:
 * nothing wider than the screen, no serious or critical axe-core finding, and a screenshot of each
 * under {@code target/screenshots/}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebAppBrowserTests {

	static FakeModelServer backend;

	static ChromeDriver browser;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = new FakeModelServer(0, 5, FakeModelServer.MODEL, "fake-large");
		registry.add("familiar.backends.fake.url", backend::baseUrl);
		registry.add("familiar.plans.gold.token-budget", () -> "5000000");
	}

	@BeforeAll
	static void openBrowser() throws IOException {
		browser = Chromium.open();
	}

	@AfterAll
	static void closeBrowser() {
		if (browser != null) {
			browser.quit();
		}
		backend.close();
	}

	@LocalServerPort
	int port;

	@Autowired
	IdentityManagement identity;

	@Autowired
	MemoryManagement memory;

	@Autowired
	org.familiar.attention.AttentionManagement attention;

	private final HttpClient http = HttpClient.newHttpClient();

	private WebDriverWait waiting(int seconds) {
		return Chromium.waiting(browser, seconds);
	}

	/** The element's text, or "" while the page that has it is still loading. */
	private String shown(String css) {
		var found = browser.findElements(By.cssSelector(css));
		return found.isEmpty() ? "" : found.getFirst().getText();
	}

	/** Waits for the element's text after a form was sent (the page it leads to replaces this one). */
	private void shows(String css, String expected) {
		waiting(5).until(b -> {
			var found = b.findElements(By.cssSelector(css));
			return !found.isEmpty() && found.getFirst().getText().equals(expected);
		});
	}

	private void open(String path) {
		browser.get("http://localhost:" + port + path);
	}

	private Object js(String script, Object... arguments) {
		return ((JavascriptExecutor) browser).executeScript(script, arguments);
	}

	private String text(String css) {
		var found = browser.findElements(By.cssSelector(css));
		if (found.isEmpty()) {
			Chromium.screenshot(browser, "failed-" + css.replaceAll("\\W+", "-"));
			throw new AssertionError("No " + css + " on " + browser.getCurrentUrl() + ": "
					+ browser.findElement(By.tagName("main")).getText());
		}
		return found.getFirst().getText();
	}

	/** Submits a form with data-confirm and says yes to the question. */
	private void confirmAndSubmit(WebElement submit) {
		submit.click();
		waiting(5).until(b -> {
			try {
				b.switchTo().alert().accept();
				return true;
			}
			catch (org.openqa.selenium.NoAlertPresentException notYet) {
				return false;
			}
		});
	}

	private WebElement row(String username) {
		return browser.findElement(By.cssSelector("#people tr[data-person='" + username + "']"));
	}

	private int status(String token, String path) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Authorization", "Bearer " + token)
			.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
	}

	@Test
	@Order(1)
	void theFirstAccountSettingsAndSignedInBrowsers() throws Exception {
		open("/chat");
		assertThat(browser.getCurrentUrl()).endsWith("/setup");
		checkEveryVariant("setup", "/setup");
		browser.findElement(By.name("username")).sendKeys("ada");
		browser.findElement(By.name("password")).sendKeys("analytical engine");
		browser.findElement(By.name("confirm")).sendKeys("analytical engine", Keys.ENTER);
		waiting(10).until(b -> b.getCurrentUrl().contains("/login"));
		checkEveryVariant("login", "/login");
		browser.findElement(By.name("username")).sendKeys("ada");
		browser.findElement(By.name("password")).sendKeys("analytical engine", Keys.ENTER);
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/chat"));

		// Theme: dark whatever the device says, light likewise, or the device's.
		open("/settings");
		browser.findElement(By.cssSelector("input[name=theme][value=dark]")).click();
		browser.findElement(By.cssSelector("#preferences button[type=submit]")).click();
		waiting(5).until(b -> b.findElement(By.tagName("html")).getDomAttribute("data-theme").equals("dark"));
		waiting(5).until(b -> shown("main .notice").startsWith("Saved."));
		assertThat(js("return getComputedStyle(document.body).backgroundColor")).isEqualTo("rgb(21, 21, 23)");
		Chromium.darkMode(browser, true);
		browser.findElement(By.cssSelector("input[name=theme][value=light]")).click();
		browser.findElement(By.cssSelector("#preferences button[type=submit]")).click();
		waiting(5).until(b -> b.findElement(By.tagName("html")).getDomAttribute("data-theme").equals("light"));
		assertThat(js("return getComputedStyle(document.body).backgroundColor")).isEqualTo("rgb(247, 247, 245)");
		browser.findElement(By.cssSelector("input[name=theme][value=system]")).click();
		browser.findElement(By.cssSelector("#preferences button[type=submit]")).click();
		waiting(5).until(b -> "system".equals(b.findElement(By.tagName("html")).getDomAttribute("data-theme")));
		assertThat(js("return getComputedStyle(document.body).backgroundColor")).as("the device is dark").isEqualTo("rgb(21, 21, 23)");
		Chromium.darkMode(browser, false);

		// Language: German, then back; the page says which it is in.
		new Select(browser.findElement(By.id("language"))).selectByValue("de");
		browser.findElement(By.cssSelector("#preferences button[type=submit]")).click();
		waiting(5).until(b -> b.findElement(By.tagName("html")).getDomAttribute("lang").equals("de"));
		shows("h1", "Einstellungen");
		assertThat(text("main .notice")).startsWith("Gespeichert.");
		assertThat(browser.findElement(By.linkText("Gedächtnis")).isDisplayed()).isTrue();
		open("/chat");
		assertThat(browser.findElement(By.id("prompt")).getDomAttribute("placeholder")).startsWith("Nachricht an Familiar");
		open("/settings");
		new Select(browser.findElement(By.id("language"))).selectByValue("");
		browser.findElement(By.cssSelector("#preferences button[type=submit]")).click();
		waiting(5).until(b -> b.findElement(By.tagName("html")).getDomAttribute("lang").equals("en"));

		// The model new chats start with.
		new Select(browser.findElement(By.id("default-model"))).selectByValue("fake-large");
		browser.findElement(By.cssSelector("#preferences button[type=submit]")).click();
		waiting(5).until(b -> shown("main .notice").startsWith("Saved."));
		open("/chat");
		assertThat(new Select(browser.findElement(By.id("model"))).getFirstSelectedOption().getDomAttribute("value"))
			.isEqualTo("fake-large");
		assertThat(browser.findElements(By.cssSelector("#model option"))).extracting(o -> o.getDomAttribute("value"))
			.as("embedding models do not chat").noneMatch(id -> id.contains("embed") || id.contains("MiniLM"));

		// Another browser signed in as ada: listed, and signed out from here.
		var laptop = new WebSession(port, "User-Agent", "Mozilla/5.0 (Windows NT 10.0) Firefox/140.0");
		laptop.signIn("ada", "analytical engine");
		open("/settings");
		var sessions = browser.findElements(By.cssSelector("#session-list tbody tr"));
		assertThat(sessions).hasSize(2);
		assertThat(sessions.get(0).getText()).contains("(this browser)");
		assertThat(sessions.get(1).getText()).contains("Firefox on Windows");
		sessions.get(1).findElement(By.cssSelector("button")).click();
		waiting(5).until(b -> b.findElement(By.cssSelector("#sessions .notice")).getText().equals("1 browser was signed out."));
		assertThat(WebSession.location(laptop.get("/chat"))).endsWith("/login");

		// Password: the current one is asked for; a change signs out the other browsers.
		laptop.signIn("ada", "analytical engine");
		changePassword("not my password", "difference engine", "difference engine");
		shows("#password .error", "Your current password is not right.");
		changePassword("analytical engine", "difference engine", "different engine");
		shows("#password .error", "The two new passwords are not the same.");
		changePassword("analytical engine", "difference engine", "difference engine");
		shows("#password .notice", "Your password is changed. 1 other browser was signed out.");
		assertThat(WebSession.location(laptop.get("/chat"))).endsWith("/login");
		assertThat(laptop.signIn("ada", "difference engine")).endsWith("/chat");
	}

	private void changePassword(String current, String next, String again) {
		open("/settings");
		browser.findElement(By.name("current")).sendKeys(current);
		browser.findElement(By.cssSelector("#change-password [name=password]")).sendKeys(next);
		browser.findElement(By.name("confirm")).sendKeys(again);
		browser.findElement(By.cssSelector("#change-password button[type=submit]")).click();
		waiting(5).until(b -> !b.findElements(By.cssSelector("#password .error, #password .notice")).isEmpty());
	}

	@Test
	@Order(2)
	void administratorsLookAfterPeople() throws Exception {
		open("/admin/people");
		var plans = browser.findElements(By.cssSelector("#add-person select[name=plan] option"));
		assertThat(plans).extracting(WebElement::getText).containsExactly("default (the default)", "gold");
		browser.findElement(By.cssSelector("#add-person [name=username]")).sendKeys("bea");
		browser.findElement(By.cssSelector("#add-person [name=password]")).sendKeys("bea's password");
		new Select(browser.findElement(By.cssSelector("#add-person select[name=plan]"))).selectByValue("gold");
		browser.findElement(By.cssSelector("#add-person button[type=submit]")).click();
		shows("main .notice", "Added bea.");
		assertThat(new Select(row("bea").findElement(By.cssSelector("select[name=plan]"))).getFirstSelectedOption().getText())
			.isEqualTo("gold");
		// The same name again: refused, and the form keeps what was typed.
		browser.findElement(By.cssSelector("#add-person [name=username]")).sendKeys("bea");
		browser.findElement(By.cssSelector("#add-person [name=password]")).sendKeys("another password");
		browser.findElement(By.cssSelector("#add-person button[type=submit]")).click();
		shows("main .error", "There is already an account named 'bea'.");
		assertThat(browser.findElement(By.cssSelector("#add-person [name=username]")).getDomProperty("value")).isEqualTo("bea");

		var bea = new WebSession(port);
		bea.signIn("bea", "bea's password");
		var token = identity.issueToken(identity.person("bea").id(), "phone", WorkloadClass.INTERACTIVE).secret();
		assertThat(status(token, "/v1/models")).isEqualTo(200);
		// Not an administrator: the app's own "not for you" page, not Spring's.
		var forbidden = bea.send("GET", "/admin/people", "", new byte[0], "Accept", "text/html");
		assertThat(forbidden.statusCode()).isEqualTo(403);
		assertThat(forbidden.body()).contains("This page is not for you").contains("Back to chat").doesNotContain("Whitelabel");

		// Disabled: signed out at once, cannot sign in, tokens stop; nothing is deleted.
		confirmAndSubmit(row("bea").findElement(By.xpath(".//button[normalize-space()='Disable']")));
		waiting(5).until(b -> shown("main .notice").startsWith("bea is disabled"));
		assertThat(row("bea").getText()).contains("disabled");
		assertThat(WebSession.location(bea.get("/chat"))).endsWith("/login?disabled");
		var login = bea.get("/login");
		assertThat(WebSession.location(bea.post("/login", "_csrf", WebSession.csrf(login.body()), "username", "bea", "password",
				"bea's password"))).endsWith("/login?disabled");
		assertThat(bea.get("/login?disabled").body()).contains("This account is disabled");
		assertThat(status(token, "/v1/models")).isEqualTo(401);
		row("bea").findElement(By.xpath(".//button[normalize-space()='Enable']")).click();
		shows("main .notice", "bea can sign in again.");
		assertThat(status(token, "/v1/models")).isEqualTo(200);

		// Administrator, and not again; the last administrator stays one.
		row("bea").findElement(By.xpath(".//button[normalize-space()='Make admin']")).click();
		shows("main .notice", "bea is now an administrator.");
		assertThat(row("bea").getText()).contains("administrator");
		row("bea").findElement(By.xpath(".//button[normalize-space()='Remove admin']")).click();
		shows("main .notice", "bea is no longer an administrator.");
		assertThat(row("bea").getText()).contains("member");
		row("ada").findElement(By.xpath(".//button[normalize-space()='Remove admin']")).click();
		shows("main .error", "ada is the only administrator: make someone else one first.");

		// A forgotten password: the administrator sets a new one, and bea's browsers are signed out.
		bea.signIn("bea", "bea's password");
		row("bea").findElement(By.cssSelector("details.inline-details summary")).click();
		row("bea").findElement(By.cssSelector(".reset-password input[name=password]")).sendKeys("a new password", Keys.ENTER);
		waiting(5).until(b -> shown("main .notice").startsWith("New password set for bea"));
		assertThat(WebSession.location(bea.get("/chat"))).endsWith("/login");
		assertThat(bea.signIn("bea", "a new password")).endsWith("/chat");

		// Deleted: gone with everything, tokens stop.
		row("bea").findElement(By.cssSelector("details.inline-details summary")).click();
		confirmAndSubmit(row("bea").findElement(By.xpath(".//button[normalize-space()='Delete account']")));
		waiting(5).until(b -> shown("main .notice").equals("Deleted bea and everything Familiar kept about them."));
		assertThat(browser.findElements(By.cssSelector("#people tr[data-person=bea]"))).isEmpty();
		assertThat(status(token, "/v1/models")).isEqualTo(401);
	}

	@Test
	@Order(3)
	void appsAreDeletedAndTheirSecretsRotatedAndFormsKeepWhatWasTyped() throws Exception {
		open("/developer/apps");
		browser.findElement(By.cssSelector("#register-app [name=name]")).sendKeys("Recipe Box");
		browser.findElement(By.cssSelector("#register-app [name=redirect_uris]")).sendKeys("http://recipes.example/back");
		browser.findElement(By.cssSelector("#register-app button[type=submit]")).click();
		waiting(5).until(b -> b.findElements(By.cssSelector("main .error")).stream().anyMatch(e -> e.getText().contains("must use https")));
		assertThat(browser.findElement(By.cssSelector("#register-app [name=name]")).getDomProperty("value")).isEqualTo("Recipe Box");
		assertThat(browser.findElement(By.cssSelector("#register-app [name=redirect_uris]")).getDomProperty("value"))
			.isEqualTo("http://recipes.example/back");
		var uris = browser.findElement(By.cssSelector("#register-app [name=redirect_uris]"));
		uris.clear();
		uris.sendKeys("https://recipes.example/back");
		browser.findElement(By.cssSelector("#register-app button[type=submit]")).click();
		var clientId = waiting(5).until(b -> b.findElement(By.id("client-id"))).getText();
		var secret = text("#client-secret");
		js("window.copied = []; navigator.clipboard.writeText = (t) => { window.copied.push(t); return Promise.resolve(); };");
		browser.findElement(By.cssSelector("[data-copy='#client-secret']")).click();
		waiting(5).until(b -> ((List<?>) js("return window.copied")).size() == 1);
		assertThat(js("return window.copied[0]")).isEqualTo(secret);
		assertThat(clientAuthenticates(clientId, secret)).isTrue();

		confirmAndSubmit(browser.findElement(By.xpath("//button[normalize-space()='New secret']")));
		var rotated = waiting(5).until(b -> b.findElement(By.id("new-secret"))).getText();
		assertThat(rotated).isNotEqualTo(secret).startsWith("fam_secret_");
		assertThat(clientAuthenticates(clientId, secret)).as("the old secret").isFalse();
		assertThat(clientAuthenticates(clientId, rotated)).isTrue();

		confirmAndSubmit(browser.findElement(By.xpath("//tr[td[normalize-space()='Recipe Box']]//button[normalize-space()='Delete']")));
		waiting(5).until(b -> shown("main .notice").startsWith("The app is deleted"));
		assertThat(browser.findElements(By.xpath("//td[normalize-space()='Recipe Box']"))).isEmpty();
		assertThat(clientAuthenticates(clientId, rotated)).isFalse();
	}

	/** Whether the token endpoint accepts the client's credentials (it then finds the grant bad: 400, not 401). */
	private boolean clientAuthenticates(String clientId, String secret) throws Exception {
		var basic = java.util.Base64.getEncoder().encodeToString((clientId + ":" + secret).getBytes());
		var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/oauth2/token"))
			.header("Authorization", "Basic " + basic)
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString("grant_type=refresh_token&refresh_token=not-a-token"))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).isIn(400, 401);
		return response.statusCode() == 400;
	}

	@Test
	@Order(4)
	void unknownPagesAreTheAppsOwnAndTheApiKeepsItsJson() throws Exception {
		open("/no-such-page");
		assertThat(text("h1")).isEqualTo("Page not found");
		assertThat(browser.findElement(By.linkText("Back to chat")).isDisplayed()).isTrue();
		assertThat(browser.getPageSource()).doesNotContain("Whitelabel").doesNotContain("\"status\"");
		assertThat(browser.findElement(By.cssSelector("link[rel=icon]")).getDomAttribute("href")).isEqualTo("/img/favicon.svg");
		var token = identity.issueToken(identity.person("ada").id(), "api", WorkloadClass.INTERACTIVE).secret();
		var api = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/no-such-thing"))
			.header("Authorization", "Bearer " + token)
			.header("Accept", "text/html,application/json")
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(api.statusCode()).isEqualTo(404);
		assertThat(api.headers().firstValue("Content-Type").orElse("")).contains("json");
		var page = new WebSession(port);
		page.signIn("ada", "difference engine");
		var missing = page.send("GET", "/nothing/here", "", new byte[0], "Accept", "text/html");
		assertThat(missing.statusCode()).isEqualTo(404);
		assertThat(missing.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
	}

	/** axe-core's serious and critical findings, by page and variant, over every page. */
	private final Map<String, Integer> findings = new LinkedHashMap<>();

	/** Everything axe-core reported (any impact), by page and variant. */
	private final Map<String, List<String>> everything = new LinkedHashMap<>();

	@Test
	@Order(5)
	void everyPageFitsAPhoneAndADesktopInLightAndDarkAndPassesAxe() throws Exception {
		var me = identity.person("ada").id();
		memory.remember(new org.familiar.identity.Caller(me, "ada", null, WorkloadClass.INTERACTIVE), "Prefers short answers",
				null, org.familiar.memory.MemorySource.MANUAL, null, null);
		open("/chat");
		browser.findElement(By.id("prompt")).sendKeys("show me a table and some `code`", Keys.ENTER);
		waiting(20).until(b -> !b.findElements(By.cssSelector("#messages article.assistant .actions")).isEmpty());
		var conversation = browser.getCurrentUrl().replace("http://localhost:" + port, "");
		var pages = new LinkedHashMap<String, String>();
		pages.put("chat", conversation);
		pages.put("new-chat", "/chat");
		pages.put("memory", "/memory");
		var ada = new org.familiar.identity.Caller(me, "ada", null, WorkloadClass.INTERACTIVE);
		attention.notify(ada, new org.familiar.attention.AttentionManagement.Outgoing("Call the plumber about the leak under the sink",
				"He said after four", org.familiar.attention.Urgency.HIGH, null, null, null));
		attention.notify(ada, new org.familiar.attention.AttentionManagement.Outgoing("Library books due",
				null, org.familiar.attention.Urgency.LOW, "errands", null, null));
		pages.put("attention", "/attention");
		pages.put("usage", "/usage");
		pages.put("research", "/research");
		pages.put("apps", "/settings/apps");
		pages.put("developer", "/developer/apps");
		pages.put("settings", "/settings");
		pages.put("tokens", "/settings/tokens");
		pages.put("account", "/settings/account");
		pages.put("people", "/admin/people");
		pages.put("capacity", "/admin/capacity");
		pages.put("all-usage", "/admin/usage");
		pages.put("activate", "/activate");
		pages.put("not-found", "/no-such-page");
		for (var page : pages.entrySet()) {
			checkEveryVariant(page.getKey(), page.getValue());
		}
		System.out.println("axe-core serious/critical findings by page (desktop/phone × light/dark): " + findings);
		System.out.println("axe-core findings of any impact by page: " + everything);
		assertThat(findings.values()).as("serious or critical accessibility findings").allMatch(n -> n == 0);
	}

	/** Desktop and phone, light and dark: fits, passes axe, shot. */
	private void checkEveryVariant(String name, String path) {
		try {
			for (var phone : new boolean[] { false, true }) {
				Chromium.phone(browser, phone);
				for (var dark : new boolean[] { false, true }) {
					Chromium.darkMode(browser, dark);
					open(path);
					var variant = name + "-" + (phone ? "phone" : "desktop") + "-" + (dark ? "dark" : "light");
					assertThat(Chromium.overflow(browser)).as(variant + ": nothing wider than the screen; wider: "
							+ Chromium.widerThanTheWindow(browser)).isLessThanOrEqualTo(0);
					var serious = new ArrayList<String>();
					var violations = Chromium.accessibilityViolations(browser);
					everything.put(variant, violations.stream().map(r -> r.getImpact() + ":" + r.getId()).toList());
					for (var rule : violations) {
						if ("serious".equals(rule.getImpact()) || "critical".equals(rule.getImpact())) {
							serious.add(rule.getId() + " " + rule.getNodes().stream().map(n -> String.valueOf(n.getTarget())).toList());
						}
					}
					if (!serious.isEmpty()) {
						System.out.println(variant + ": " + serious);
					}
					findings.put(variant, serious.size());
					Chromium.screenshot(browser, variant);
				}
			}
		}
		finally {
			Chromium.phone(browser, false);
			Chromium.darkMode(browser, false);
		}
		assertThat(findings.entrySet().stream().filter(e -> e.getKey().startsWith(name + "-")).mapToInt(Map.Entry::getValue).sum())
			.as(name + ": serious or critical accessibility findings (printed above)").isZero();
	}
}
