package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.familiar.identity.IdentityManagement;
import org.familiar.identity.PersonId;
import org.familiar.plans.PlansManagement;
import org.familiar.testing.Chromium;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.TestHome;
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
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The chat's everyday actions in Chromium, as a person uses them: a generated title, copying a
 * reply and a code block, writing a reply again and flipping between its versions, editing a
 * message and sending it again, renaming and searching conversations, a chat's own system prompt
 * and temperature reaching the model, typing while a reply streams, Stop keeping exactly what was
 * shown, and the conversation list as a drawer on a phone.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChatActionsBrowserTests {

	static FakeModelServer backend;

	static ChromeDriver browser;

	static PersonId ada;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = FakeModelServer.serve(registry, "fake", 15);
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
	PlansManagement plans;

	@Autowired
	AssistantManagement assistant;

	private WebDriverWait waiting(int seconds) {
		return Chromium.waiting(browser, seconds);
	}

	private Object js(String script, Object... arguments) {
		return ((JavascriptExecutor) browser).executeScript(script, arguments);
	}

	private void open(String path) {
		browser.get("http://localhost:" + port + path);
		// What the page's copy buttons put on the clipboard, kept where the test can read it.
		js("window.copied = []; navigator.clipboard.writeText = (text) => { window.copied.push(text); return Promise.resolve(); };");
	}

	@SuppressWarnings("unchecked")
	private List<String> copied() {
		return (List<String>) js("return window.copied;");
	}

	private List<WebElement> articles() {
		return browser.findElements(By.cssSelector("#messages article.message"));
	}

	private WebElement last(String role) {
		var found = browser.findElements(By.cssSelector("#messages article.message." + role));
		return found.getLast();
	}

	private static String content(WebElement article) {
		return article.findElement(By.cssSelector(".content")).getText();
	}

	/** Sends a message and waits until its reply has finished and has its buttons. */
	private void say(String text) {
		var before = browser.findElements(By.cssSelector("#messages article.message.assistant .actions")).size();
		browser.findElement(By.id("prompt")).sendKeys(text, Keys.ENTER);
		replied(before + 1);
	}

	private void replied(int replies) {
		waiting(20).until(b -> b.findElements(By.cssSelector("#messages article.message.assistant .actions")).size() >= replies
				&& b.findElements(By.cssSelector(".message.streaming")).isEmpty());
	}

	/** The model's title for a conversation: "About" and the person's first message. */
	private static String title(JsonNode request) {
		return "About " + lastUser(request).lines().findFirst().orElse("").replace("Person: ", "");
	}

	private static boolean isTitleRequest(JsonNode request) {
		return AssistantManagement.TITLE_INSTRUCTION.equals(request.path("messages").path(0).path("content").asText());
	}

	private static String lastUser(JsonNode request) {
		var messages = request.path("messages");
		return messages.path(messages.size() - 1).path("content").asText();
	}

	private JsonNode latestRequestEndingWith(String text) {
		var requests = new ArrayList<>(backend.requests);
		for (int i = requests.size() - 1; i >= 0; i--) {
			if (lastUser(requests.get(i)).equals(text)) {
				return requests.get(i);
			}
		}
		throw new AssertionError("The model server was never asked '" + text + "'");
	}

	@Test
	@Order(1)
	void aConversationGetsATitleAndRepliesAndCodeCanBeCopied() {
		ada = identity.addPerson("ada", "analytical engine", false, null).id();
		backend.script = request -> isTitleRequest(request) ? "\"Familiars, briefly.\""
				: lastUser(request).equals("code please") ? "Here it is:\n\n```java\nint x = 1;\n```\n" : null;
		open("/login");
		browser.findElement(By.name("username")).sendKeys("ada");
		browser.findElement(By.name("password")).sendKeys("analytical engine", Keys.ENTER);
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/chat"));
		open("/chat");

		say("tell me about familiars");
		// The model names the conversation after its first reply; the list and the tab follow.
		waiting(10).until(b -> b.findElement(By.id("chat-title")).getText().equals("Familiars, briefly"));
		waiting(10).until(b -> b.findElement(By.cssSelector("#conversations li.current a")).getText().equals("Familiars, briefly"));
		assertThat(browser.getTitle()).startsWith("Familiars, briefly");
		var titleRequest = new ArrayList<>(backend.requests).stream().filter(ChatActionsBrowserTests::isTitleRequest).findFirst()
			.orElseThrow();
		assertThat(lastUser(titleRequest)).contains("Person: tell me about familiars")
			.contains("Assistant: Hello! You said: tell me about familiars");
		assertThat(titleRequest.path("max_tokens").asInt()).isEqualTo(24);
		// It is the person's background work, on their plan, not their chat.
		var report = plans.report(ada);
		assertThat(report.requests()).anySatisfy(r -> {
			assertThat(r.workload()).isEqualTo("batch");
			assertThat(r.source()).isEqualTo(PlansManagement.BACKGROUND);
		});
		assertThat(report.workloads()).extracting(w -> w.workload()).contains("interactive", "batch");

		last("assistant").findElement(By.cssSelector("[data-action=copy]")).click();
		waiting(5).until(b -> !copied().isEmpty());
		assertThat(copied().getLast()).isEqualTo("Hello! You said: tell me about familiars");

		say("code please");
		var code = last("assistant").findElement(By.cssSelector("pre"));
		code.findElement(By.cssSelector(".copy-code")).click();
		waiting(5).until(b -> copied().size() == 2);
		assertThat(copied().getLast().strip()).isEqualTo("int x = 1;");
		assertThat(code.findElement(By.tagName("code")).getText()).as("the button is not part of the code").isEqualTo("int x = 1;");
		// A reload finds the generated title kept.
		open(browser.getCurrentUrl().replace("http://localhost:" + port, ""));
		assertThat(browser.findElement(By.id("chat-title")).getText()).isEqualTo("Familiars, briefly");
		// Under each reply, its energy as the ledger has it (estimated: this model server reports no power), and the conversation's.
		assertThat(last("assistant").findElement(By.cssSelector(".energy")).getText()).matches("\\d+\\.\\d{3} Wh · estimated");
		assertThat(browser.findElement(By.cssSelector(".conversation-energy")).getText()).startsWith("This conversation: ")
			.contains(" Wh");
		// Icons are drawn, not emoji a phone without the font would show as empty boxes.
		assertThat(browser.findElements(By.cssSelector(".thumb svg use"))).isNotEmpty();
		assertThat(browser.findElement(By.tagName("body")).getText()).doesNotContain("👍").doesNotContain("👎");
	}

	@Test
	@Order(2)
	void aReplyIsWrittenAgainAndAMessageEditedKeepingEveryVersion() {
		var picks = new AtomicInteger();
		backend.script = request -> isTitleRequest(request) ? title(request)
				: lastUser(request).equals("pick a number") ? "Version " + picks.incrementAndGet() : null;
		open("/chat");
		say("pick a number");
		assertThat(content(last("assistant"))).isEqualTo("Version 1");

		last("assistant").findElement(By.cssSelector("[data-action=regenerate]")).click();
		waiting(20).until(b -> content(last("assistant")).equals("Version 2")
				&& !b.findElements(By.cssSelector("#messages article.assistant .versions")).isEmpty());
		assertThat(articles()).hasSize(2);
		assertThat(last("assistant").findElement(By.cssSelector(".versions .count")).getText()).isEqualTo("2 / 2");

		last("assistant").findElement(By.cssSelector(".versions [data-action=version]")).click();
		waiting(10).until(b -> content(last("assistant")).equals("Version 1"));
		assertThat(last("assistant").findElement(By.cssSelector(".versions .count")).getText()).isEqualTo("1 / 2");
		browser.navigate().refresh();
		assertThat(content(last("assistant"))).as("the version chosen is kept").isEqualTo("Version 1");

		// Edit the question and send it again: a new version of it, answered afresh.
		open(browser.getCurrentUrl().replace("http://localhost:" + port, ""));
		last("user").findElement(By.cssSelector("[data-action=edit]")).click();
		var editor = last("user").findElement(By.cssSelector("form.editing textarea"));
		editor.clear();
		editor.sendKeys("pick a letter");
		last("user").findElement(By.cssSelector("form.editing button.primary")).click();
		waiting(20).until(b -> content(last("assistant")).equals("Hello! You said: pick a letter")
				&& !b.findElements(By.cssSelector("#messages article.user .versions")).isEmpty());
		assertThat(articles()).hasSize(2);
		assertThat(content(last("user"))).isEqualTo("pick a letter");
		assertThat(last("user").findElement(By.cssSelector(".versions .count")).getText()).isEqualTo("2 / 2");
		var edited = latestRequestEndingWith("pick a letter");
		assertThat(edited.toString()).as("the replaced question is not in the history").doesNotContain("pick a number");

		last("user").findElement(By.cssSelector(".versions [data-action=version]")).click();
		waiting(10).until(b -> content(last("user")).equals("pick a number"));
		assertThat(content(last("assistant"))).as("with the reply it had").isEqualTo("Version 1");
	}

	@Test
	@Order(3)
	void conversationsAreRenamedSearchedAndHaveTheirOwnPromptAndTemperature() {
		backend.script = request -> isTitleRequest(request) ? title(request) : null;
		open("/chat");
		// A new chat's settings go with its first message.
		browser.findElement(By.cssSelector(".chat-settings summary")).click();
		browser.findElement(By.id("system-prompt")).sendKeys("Answer like a pirate.");
		browser.findElement(By.id("temperature")).sendKeys("0.3");
		browser.findElement(By.cssSelector("#chat-settings button[type=submit]")).click();
		waiting(5).until(b -> b.findElement(By.id("chat-settings-saved")).getText().equals("Saved."));
		browser.findElement(By.cssSelector(".chat-settings summary")).click();
		say("where is the treasure");
		var asked = latestRequestEndingWith("where is the treasure");
		assertThat(asked.path("messages").path(0).path("role").asText()).isEqualTo("system");
		assertThat(asked.path("messages").path(0).path("content").asText()).contains("Answer like a pirate.");
		assertThat(asked.path("temperature").asDouble()).isEqualTo(0.3);

		// Changed on the conversation, for its next replies; kept on reload.
		open(browser.getCurrentUrl().replace("http://localhost:" + port, ""));
		assertThat(browser.findElement(By.id("temperature")).getDomProperty("value")).isEqualTo("0.3");
		browser.findElement(By.cssSelector(".chat-settings summary")).click();
		var temperature = browser.findElement(By.id("temperature"));
		temperature.clear();
		temperature.sendKeys("1.2");
		browser.findElement(By.cssSelector("#chat-settings button[type=submit]")).click();
		waiting(5).until(b -> b.findElement(By.id("chat-settings-saved")).getText().equals("Saved."));
		// Out of range: the browser will not send it, and the server refuses it if sent anyway.
		temperature.clear();
		temperature.sendKeys("7");
		assertThat(js("return document.getElementById('temperature').checkValidity()")).isEqualTo(false);
		var refused = ((JavascriptExecutor) browser).executeAsyncScript("""
				const done = arguments[arguments.length - 1];
				const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
				headers[document.querySelector('meta[name=_csrf_header]').content] = document.querySelector('meta[name=_csrf]').content;
				fetch(location.pathname + '/settings', { method: 'POST', headers, body: JSON.stringify({ temperature: 7 }) })
				  .then((r) => r.json().then((b) => done(r.status + ' ' + b.message)));""");
		assertThat(refused).isEqualTo("400 A temperature is a number from 0 to 2.");
		browser.findElement(By.cssSelector(".chat-settings summary")).click();
		say("and the map");
		assertThat(latestRequestEndingWith("and the map").path("temperature").asDouble()).isEqualTo(1.2);

		// Renamed by the person, the title stays.
		browser.findElement(By.id("rename")).click();
		var name = browser.findElement(By.id("rename-input"));
		name.clear();
		name.sendKeys("Pirate talk", Keys.ENTER);
		waiting(5).until(b -> b.findElement(By.id("chat-title")).getText().equals("Pirate talk"));
		waiting(5).until(b -> b.findElement(By.cssSelector("#conversations li.current a")).getText().equals("Pirate talk"));
		browser.navigate().refresh();
		assertThat(browser.findElement(By.id("chat-title")).getText()).isEqualTo("Pirate talk");

		// Search finds conversations by what was said in them, not only by title.
		browser.findElement(By.id("search")).sendKeys("treasure");
		waiting(5).until(b -> b.findElements(By.cssSelector("#conversations li a")).size() == 1);
		assertThat(browser.findElement(By.cssSelector("#conversations li a")).getText()).isEqualTo("Pirate talk");
		browser.findElement(By.id("search")).sendKeys(" chest of zebras");
		waiting(5).until(b -> b.findElements(By.cssSelector("#conversations li a")).isEmpty());
		assertThat(browser.findElement(By.id("conversations")).getText()).contains("No conversation has that");
		var search = browser.findElement(By.id("search"));
		search.clear();
		search.sendKeys("VERSION 1");
		waiting(5).until(b -> b.findElements(By.cssSelector("#conversations li a")).size() == 1);
		assertThat(browser.findElement(By.cssSelector("#conversations li a")).getText()).isEqualTo("About pick a number");
	}

	@Test
	@Order(4)
	void thePersonTypesWhileAReplyStreamsAndStopKeepsExactlyWhatWasShown() {
		open("/chat");
		browser.findElement(By.id("prompt"))
			.sendKeys("[slow] one two three four five six seven eight nine ten eleven twelve thirteen", Keys.ENTER);
		waiting(10).until(b -> content(last("assistant")).split(" ").length >= 4);
		var box = browser.findElement(By.id("prompt"));
		assertThat(box.isEnabled()).as("the box is usable while the reply streams").isTrue();
		box.sendKeys("my next question");
		browser.findElement(By.id("stop")).click();
		waiting(10).until(b -> last("assistant").getDomAttribute("class").contains("stopped"));
		var shown = content(last("assistant"));
		assertThat(shown).startsWith("Hello!").doesNotContain("thirteen");
		assertThat(box.getDomProperty("value")).isEqualTo("my next question");

		// Saved exactly as shown, however much more the server had generated when it noticed.
		var conversation = java.util.UUID.fromString(browser.getCurrentUrl().replaceAll(".*/chat/", ""));
		var caller = new org.familiar.identity.Caller(ada, "ada", null, org.familiar.compute.WorkloadClass.INTERACTIVE);
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> {
			var saved = assistant.messages(caller, conversation).getLast();
			return StoredMessage.STOPPED.equals(saved.status()) && saved.content().equals(shown);
		});
		browser.navigate().refresh();
		assertThat(content(last("assistant"))).isEqualTo(shown);
		assertThat(last("assistant").findElement(By.cssSelector(".status")).getText()).isEqualTo("Stopped.");
	}

	@Test
	@Order(5)
	void onAPhoneTheListIsADrawerAndTheComposerStaysOnScreen() {
		open("/chat");
		var first = browser.findElement(By.cssSelector("#conversations li a")).getDomAttribute("href");
		Chromium.phone(browser, true);
		try {
			open(first);
			assertThat(Chromium.overflow(browser)).as("nothing runs off the side").isLessThanOrEqualTo(0);
			var sidebar = browser.findElement(By.id("sidebar"));
			assertThat(sidebar.isDisplayed()).isFalse();
			var composer = browser.findElement(By.id("composer")).getRect();
			assertThat(composer.getY() + composer.getHeight()).as("the composer is on screen").isLessThanOrEqualTo(844);
			browser.findElement(By.cssSelector("[data-drawer-open]")).click();
			waiting(5).until(b -> sidebar.isDisplayed() && sidebar.getRect().getX() >= 0);
			assertThat(browser.findElement(By.cssSelector("[data-drawer-open]")).getDomAttribute("aria-expanded")).isEqualTo("true");
			Chromium.screenshot(browser, "chat-drawer-phone");
			browser.findElement(By.cssSelector(".drawer-close")).click();
			waiting(5).until(b -> !sidebar.isDisplayed());
			// The menu button opens the navigation.
			var links = browser.findElement(By.id("nav-menu"));
			assertThat(links.isDisplayed()).isFalse();
			browser.findElement(By.cssSelector("[data-toggle-nav]")).click();
			waiting(5).until(b -> links.isDisplayed());
			assertThat(browser.findElement(By.linkText("Memory")).isDisplayed()).isTrue();
		}
		finally {
			Chromium.phone(browser, false);
		}
	}
}
