package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.IdentityManagement;
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
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A person's first minutes in headless Chromium (Debian's chromium and chromedriver; .ci/run
 * installs them): create the first account, sign in, chat with a streamed reply rendered as
 * markdown, stop a reply, reload and find everything again; then, as the administrator, watch a
 * request hold a slot on the live capacity page.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebChatBrowserTests {

	static FakeModelServer backend;

	static WebDriver browser;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = FakeModelServer.serve(registry, "fake", 120);
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

	private WebDriverWait waiting(int seconds) {
		return new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(20));
	}

	/** Administration lives in its own menu of the top bar. */
	private void openAdminMenu() {
		browser.findElement(By.xpath("//details[contains(@class,'dropdown')]/summary[normalize-space()='Admin']")).click();
	}

	private String lastReply() {
		var replies = browser.findElements(By.cssSelector(".message.assistant .content"));
		return replies.isEmpty() ? "" : replies.getLast().getText();
	}

	@Test
	@Order(1)
	void firstRunSignInStreamedChatStopAndReload() {
		browser.get("http://localhost:" + port + "/chat");
		assertThat(browser.getCurrentUrl()).endsWith("/setup");
		browser.findElement(By.name("username")).sendKeys("ada");
		browser.findElement(By.name("password")).sendKeys("analytical engine");
		browser.findElement(By.name("confirm")).sendKeys("analytical engine");
		browser.findElement(By.cssSelector("button[type=submit]")).click();

		waiting(10).until(b -> b.getCurrentUrl().contains("/login"));
		assertThat(browser.getPageSource()).contains("Your account is ready");
		browser.findElement(By.name("username")).sendKeys("ada");
		browser.findElement(By.name("password")).sendKeys("analytical engine");
		browser.findElement(By.cssSelector("button[type=submit]")).click();
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/chat"));

		var model = waiting(10).until(b -> b.findElement(By.id("model")));
		assertThat(model.getDomProperty("value")).isEqualTo(FakeModelServer.MODEL);
		// The page says its language, offers a way past the navigation, and labels the message box.
		assertThat(browser.findElement(By.tagName("html")).getDomAttribute("lang")).isEqualTo("en");
		var skip = browser.findElement(By.cssSelector("a.skip-link"));
		assertThat(skip.getDomAttribute("href")).isEqualTo("#main");
		assertThat(browser.findElements(By.id("main"))).hasSize(1);
		assertThat(browser.findElement(By.cssSelector("label[for=prompt]")).getDomProperty("textContent")).isEqualTo("Message");
		var js = (org.openqa.selenium.JavascriptExecutor) browser;
		assertThat(js.executeScript("return document.querySelector('a[href], button, input, select, textarea').className"))
			.as("the first thing Tab reaches").isEqualTo("skip-link");
		assertThat((Number) js.executeScript("return arguments[0].getBoundingClientRect().right", skip)).as("hidden until focused")
			.satisfies(right -> assertThat(right.doubleValue()).isLessThan(0));
		js.executeScript("arguments[0].focus()", skip);
		assertThat((Number) js.executeScript("return arguments[0].getBoundingClientRect().left", skip)).as("shown when focused")
			.satisfies(left -> assertThat(left.doubleValue()).isGreaterThanOrEqualTo(0));
		browser.findElement(By.id("prompt")).click();

		browser.findElement(By.id("prompt")).sendKeys("tell me **something** about `familiars` today", Keys.ENTER);
		var sawPartial = new AtomicBoolean();
		waiting(20).until(b -> {
			var text = lastReply();
			if (!text.isEmpty() && !text.contains("today")) {
				sawPartial.set(true);
			}
			return text.contains("today") && b.findElements(By.cssSelector(".message.streaming")).isEmpty();
		});
		assertThat(sawPartial).as("the reply appeared piece by piece").isTrue();
		var reply = browser.findElements(By.cssSelector(".message.assistant .content")).getLast();
		assertThat(reply.findElement(By.tagName("strong")).getText()).isEqualTo("something");
		assertThat(reply.findElement(By.tagName("code")).getText()).isEqualTo("familiars");
		waiting(10).until(b -> b.getCurrentUrl().matches(".*/chat/[0-9a-f-]{36}$"));
		var conversationUrl = browser.getCurrentUrl();

		browser.findElement(By.id("prompt")).sendKeys("[slow] one two three four five six seven eight nine ten", Keys.ENTER);
		waiting(10).until(b -> lastReply().startsWith("Hello!"));
		browser.findElement(By.id("stop")).click();
		waiting(10).until(b -> b.findElements(By.cssSelector(".message.assistant .status")).stream()
			.anyMatch(s -> s.getText().contains("Stopped")));
		waiting(10).until(b -> b.findElement(By.id("send")).isDisplayed());

		// The server learns of the stop at its next write to the closed connection, then saves the
		// partial reply as stopped; a reload shows it once that has happened.
		waiting(10).until(b -> {
			b.navigate().refresh();
			return !b.findElements(By.cssSelector(".message.assistant.stopped")).isEmpty();
		});
		assertThat(browser.findElements(By.cssSelector(".message"))).hasSize(4);
		assertThat(browser.getCurrentUrl()).isEqualTo(conversationUrl);
		assertThat(browser.findElement(By.cssSelector("#conversations li.current")).getText())
			.startsWith("tell me **something**");
		var messages = browser.findElements(By.cssSelector(".message .content"));
		assertThat(messages.get(1).findElement(By.tagName("strong")).getText()).isEqualTo("something");
		assertThat(messages.get(3).getText()).startsWith("Hello!").doesNotContain("ten");
		assertThat(browser.findElements(By.cssSelector(".message.assistant.stopped .status")))
			.extracting(s -> s.getText())
			.containsExactly("Stopped.");
		screenshot("chat");
	}

	@Test
	@Order(2)
	void theAdministratorWatchesCapacityLive() {
		var ada = identity.people().stream().filter(p -> p.username().equals("ada")).findFirst().orElseThrow();
		var token = identity.issueToken(ada.id(), "load", WorkloadClass.RESEARCH).secret();
		var body = "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"[slow] a b c d e f g h i j k l m n o p\"}]}";
		var load = HttpClient.newHttpClient()
			.sendAsync(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/chat/completions"))
				.header("Authorization", "Bearer " + token)
				.header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString(body))
				.build(), HttpResponse.BodyHandlers.ofString());

		browser.get("http://localhost:" + port + "/chat");
		openAdminMenu();
		browser.findElement(By.linkText("Capacity")).click();
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/admin/capacity"));
		var row = browser.findElement(By.cssSelector("tr[data-backend=fake]"));
		waiting(10).until(b -> row.findElement(By.cssSelector(".running")).getText().equals("1"));
		waiting(10).until(b -> ((Number) ((JavascriptExecutor) b).executeScript(
				"const c = Chart.getChart('history'); return c.data.datasets[3].data.filter(v => v > 0).length;"))
			.intValue() > 0);
		assertThat(row.findElement(By.cssSelector(".breaker")).getText()).isEqualTo("closed");
		assertThat(browser.findElements(By.cssSelector("table.list")).get(1).getText()).contains("research 40 %")
			.contains("interactive 30 % 1");
		screenshot("capacity");
		assertThat(load.join().statusCode()).isEqualTo(200);
	}

	@Test
	@Order(3)
	void aPersonSeesTheirUsageWithChartsAndCanExportIt() {
		browser.get("http://localhost:" + port + "/chat");
		browser.findElement(By.linkText("Usage")).click();
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/usage"));

		// The chat replies of the first test and the research request of the second, settled.
		waiting(10).until(b -> {
			b.navigate().refresh();
			return Integer.parseInt(b.findElement(By.id("requests")).getText()) >= 3;
		});
		assertThat(browser.findElement(By.id("remaining")).getText()).isNotBlank();
		assertThat(browser.findElement(By.id("sources")).getText()).contains("web chat").contains("load");
		var datasets = ((Number) ((JavascriptExecutor) browser)
			.executeScript("return Chart.getChart('tokens').data.datasets.length")).intValue();
		assertThat(datasets).isEqualTo(1);
		var csv = (String) ((JavascriptExecutor) browser).executeAsyncScript(
				"const done = arguments[0]; fetch('/usage.csv').then(r => r.text()).then(done);");
		assertThat(csv.lines().findFirst().orElseThrow()).contains("requestId").contains("chargedTokens").contains("energyWh");
		assertThat(csv.lines().count()).isGreaterThanOrEqualTo(4);
		screenshot("usage");

		var loadRow = browser.findElements(By.cssSelector("#sources tbody tr")).stream()
			.filter(row -> row.getText().startsWith("load"))
			.findFirst()
			.orElseThrow();
		loadRow.findElement(By.name("tokens")).sendKeys("5000");
		loadRow.findElement(By.cssSelector("button[type=submit]")).click();
		waiting(10).until(b -> b.getPageSource().contains("Cap set."));
		assertThat(browser.findElements(By.cssSelector("#sources input[name=tokens]")).stream()
			.map(input -> input.getDomProperty("value"))).contains("5000");

		openAdminMenu();
		browser.findElement(By.linkText("All usage")).click();
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/admin/usage"));
		assertThat(browser.findElement(By.id("everyone")).getText()).contains("ada").contains("default");
		var adaRow = browser.findElements(By.cssSelector("#everyone tbody tr")).stream()
			.filter(row -> row.getText().startsWith("ada"))
			.findFirst()
			.orElseThrow();
		adaRow.findElement(By.name("tokens")).sendKeys("2000000");
		adaRow.findElement(By.cssSelector("button[type=submit]")).click();
		waiting(10).until(b -> b.getPageSource().contains("Own budget set."));
		assertThat(browser.findElement(By.id("everyone")).getText()).contains("2,000,000");
	}

	@Test
	@Order(4)
	void aPersonTellsFamiliarSomethingOnceSeesItUsedAndCorrectsIt() {
		browser.get("http://localhost:" + port + "/chat");
		browser.findElement(By.id("prompt")).sendKeys("Remember that I'm vegetarian", Keys.ENTER);
		waiting(20).until(b -> b.findElements(By.cssSelector(".message.user .status")).stream()
			.anyMatch(s -> s.getText().equals("Remembered: I'm vegetarian")));
		waiting(20).until(b -> b.findElement(By.id("send")).isDisplayed());

		browser.findElement(By.id("prompt")).sendKeys("What should I cook tonight?", Keys.ENTER);
		waiting(20).until(b -> lastReply().contains("cook tonight") && b.findElement(By.id("send")).isDisplayed());
		var reply = browser.findElements(By.cssSelector(".message.assistant")).getLast();
		var used = reply.findElement(By.cssSelector("details.used-memories"));
		assertThat(used.findElement(By.tagName("summary")).getText()).isEqualTo("Used 1 memory");
		used.findElement(By.tagName("summary")).click();
		assertThat(used.findElement(By.tagName("li")).getText()).isEqualTo("I'm vegetarian");
		assertThat(backend.systemPromptFor("What should I cook tonight?")).contains("I'm vegetarian");

		reply.findElement(By.cssSelector(".thumb.down")).click();
		var why = waiting(10).until(b -> reply.findElement(By.cssSelector("form.why input")));
		why.sendKeys("too long", Keys.ENTER);
		waiting(10).until(b -> reply.getText().contains("Remembered: Disliked in a reply: too long"));

		// After a reload the reply still says which memory shaped it.
		browser.navigate().refresh();
		var reloaded = browser.findElements(By.cssSelector(".message.assistant")).getLast();
		assertThat(reloaded.findElement(By.cssSelector("details.used-memories summary")).getText()).isEqualTo("Used 1 memory");
		assertThat(reloaded.findElement(By.cssSelector(".thumb.down")).getDomAttribute("class")).contains("chosen");

		browser.findElement(By.linkText("Memory")).click();
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/memory"));
		assertThat(browser.findElement(By.id("facts")).getText()).contains("I'm vegetarian").contains("from a conversation");
		assertThat(browser.findElement(By.id("preferences")).getText()).contains("Disliked in a reply: too long");
		screenshot("memory");

		var fact = browser.findElement(By.cssSelector("#facts li"));
		fact.findElement(By.cssSelector(".edit-memory summary")).click();
		var content = fact.findElement(By.cssSelector("form.edit input[name=content]"));
		content.clear();
		content.sendKeys("I'm vegan", Keys.ENTER);
		waiting(10).until(b -> b.getPageSource().contains("Saved."));
		assertThat(browser.findElement(By.id("facts")).getText()).contains("I'm vegan").doesNotContain("vegetarian");

		browser.findElement(By.cssSelector("#preferences li form.forget button")).click();
		waiting(10).until(b -> b.getPageSource().contains("Forgotten for good."));
		assertThat(browser.findElement(By.id("preferences")).getText()).doesNotContain("too long");

		browser.findElement(By.cssSelector("#personality-form input[value=teacher]")).click();
		browser.findElement(By.cssSelector("#personality-form button[type=submit]")).click();
		waiting(10).until(b -> b.getPageSource().contains("Personality saved"));
		assertThat(browser.findElement(By.cssSelector("#personality-form input[value=teacher]")).isSelected()).isTrue();

		// The interview, redone from the memory page, asks in chat and writes answers down.
		browser.findElement(By.id("redo-interview")).click();
		waiting(10).until(b -> b.getCurrentUrl().matches(".*/chat/[0-9a-f-]{36}$"));
		assertThat(lastReply()).contains("what should I call you?");
		backend.script = request -> request.path("messages").path(0).path("content").asText()
			.startsWith("You write down what a person told Familiar") ? "Wants to be called Ada." : null;
		browser.findElement(By.id("prompt")).sendKeys("Ada", Keys.ENTER);
		waiting(10).until(b -> lastReply().contains("What do you do"));
		// Kept as said at once, then written down by the model.
		waiting(20).until(b -> {
			b.findElement(By.linkText("Memory")).click();
			return b.findElement(By.id("preferences")).getText().contains("Wants to be called Ada.");
		});
		backend.script = request -> null;
		assertThat(browser.findElement(By.id("preferences")).getText()).contains("from the interview");
	}

	@Test
	@Order(5)
	void aDeveloperRegistersAnAppAndThePersonConnectsAndDisconnectsIt() {
		browser.get("http://localhost:" + port + "/chat");
		browser.findElement(By.linkText("Apps")).click();
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/settings/apps"));
		assertThat(browser.findElement(By.id("no-apps")).getText()).contains("No apps connected yet");
		browser.findElement(By.linkText("Register an app")).click();
		var callback = "http://localhost:" + port + "/callback";
		browser.findElement(By.name("name")).sendKeys("Recipe Box");
		browser.findElement(By.name("redirect_uris")).sendKeys(callback);
		browser.findElement(By.cssSelector("#register-app button[type=submit]")).click();
		var clientId = waiting(10).until(b -> b.findElement(By.id("client-id"))).getText();
		assertThat(clientId).startsWith("fam-app-");
		assertThat(browser.findElement(By.id("client-secret")).getText()).startsWith("fam_secret_");

		// The app sends the person to Familiar; they are signed in, so they see the consent page.
		browser.get("http://localhost:" + port + "/oauth2/authorize?response_type=code&client_id=" + clientId
				+ "&scope=openid%20profile%20familiar.assistant%20familiar.memory.read&state=xyz&redirect_uri=" + callback);
		waiting(10).until(b -> b.getCurrentUrl().contains("/oauth2/consent"));
		assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Recipe Box wants to use your Familiar");
		assertThat(browser.findElement(By.cssSelector("ul.scopes")).getText())
			.contains("Chat with your AI as you", "Read the memories you share with apps", "See your Familiar username");
		browser.findElement(By.name("familiar_cap")).sendKeys("20000");
		screenshot("consent");
		browser.findElement(By.id("allow")).click();
		waiting(10).until(b -> b.getCurrentUrl().startsWith(callback + "?code="));
		assertThat(browser.getCurrentUrl()).contains("state=xyz");

		browser.get("http://localhost:" + port + "/settings/apps");
		var app = browser.findElement(By.cssSelector(".connected-app[data-client='" + clientId + "']"));
		assertThat(app.getText()).contains("Recipe Box").contains("Chat with your AI as you");
		assertThat(app.findElement(By.name("tokens")).getDomProperty("value")).isEqualTo("20000");
		screenshot("apps");
		app.findElement(By.cssSelector("form.revoke button")).click();
		browser.switchTo().alert().accept();
		waiting(10).until(b -> b.getPageSource().contains("Disconnected"));
		assertThat(browser.findElements(By.cssSelector(".connected-app"))).isEmpty();
	}

	@Test
	@Order(6)
	void aResearcherUploadsASuiteRunsItTwiceAndComparesTheRuns() throws IOException {
		var suite = Files.createTempFile("addition", ".jsonl");
		Files.writeString(suite, java.util.stream.IntStream.rangeClosed(1, 8)
			.mapToObj(n -> "{\"id\": \"add-" + n + "\", \"input\": \"What is " + n + " plus " + n + "?\", \"target\": " + (2 * n)
					+ ", \"grader\": \"number\"}")
			.collect(java.util.stream.Collectors.joining("\n")));
		var onlyEven = new java.util.concurrent.atomic.AtomicBoolean(true);
		backend.script = request -> {
			var messages = request.path("messages");
			var matcher = java.util.regex.Pattern.compile("What is (\\d+) plus")
				.matcher(messages.get(messages.size() - 1).path("content").asText());
			if (!matcher.find()) {
				return null;
			}
			int n = Integer.parseInt(matcher.group(1));
			return n % 2 == 0 || !onlyEven.get() ? String.valueOf(2 * n) : "0";
		};
		try {
			browser.get("http://localhost:" + port + "/chat");
			browser.findElement(By.linkText("Research")).click();
			waiting(10).until(b -> b.getCurrentUrl().endsWith("/research"));
			browser.findElement(By.name("file")).sendKeys(suite.toString());
			browser.findElement(By.name("name")).sendKeys("addition");
			browser.findElement(By.cssSelector("#upload-suite button[type=submit]")).click();
			waiting(10).until(b -> b.getPageSource().contains("Suite 'addition' uploaded."));
			assertThat(browser.findElement(By.id("suites")).getText()).contains("addition").contains("8").contains("FAMILIAR-CANARY-");

			browser.findElement(By.cssSelector("#suites button[type=submit]")).click();
			waiting(10).until(b -> b.getPageSource().contains("Run started"));
			// The runs table refreshes itself until the run is done (so elements go stale as it is swapped).
			waiting(60).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(b -> b.findElements(By.cssSelector("#runs tbody tr")).size() == 1
					&& b.findElement(By.cssSelector("#runs .progress-text")).getText().equals("8/8")
					&& b.findElement(By.cssSelector("#runs .accuracy")).getText().startsWith("50.0 %"));
			screenshot("research");

			onlyEven.set(false);
			browser.findElement(By.cssSelector("#suites button[type=submit]")).click();
			waiting(60).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
				.until(b -> b.findElements(By.cssSelector("#runs tbody tr")).size() == 2
					&& b.findElements(By.cssSelector("#runs .accuracy")).stream().anyMatch(a -> a.getText().startsWith("100.0 %")));
			// Both done: the table no longer refreshes, so its checkboxes stay put.
			waiting(30).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
				.until(b -> b.findElements(By.cssSelector("#runs .progress-text")).stream().allMatch(p -> p.getText().equals("8/8"))
						&& b.findElement(By.id("runs")).getDomAttribute("hx-get") == null);
			browser.findElements(By.cssSelector("#runs input[name=run]")).forEach(WebElement::click);
			browser.findElement(By.id("compare")).click();
			waiting(10).until(b -> b.getCurrentUrl().contains("/research/compare"));
			assertThat(browser.findElement(By.id("comparison")).getText()).contains("100.0 %").contains("50.0 %");
			assertThat(browser.findElements(By.cssSelector("#differing tbody tr"))).hasSize(4);
			var interval = (java.util.List<?>) ((JavascriptExecutor) browser)
				.executeScript("return Chart.getChart('accuracy').data.datasets[0].data[1]");
			assertThat(interval).hasSize(2).allSatisfy(bound -> assertThat(((Number) bound).doubleValue()).isBetween(0.0, 100.0));
			assertThat(((Number) interval.get(0)).doubleValue()).isLessThan(50.0);
			screenshot("compare");

			// A run's own page: every item, what was asked and expected, the reply and the verdict.
			browser.get("http://localhost:" + port + "/research");
			browser.findElements(By.cssSelector("#runs tbody tr")).stream()
				.filter(row -> row.findElement(By.cssSelector(".accuracy")).getText().startsWith("50.0 %"))
				.findFirst().orElseThrow().findElement(By.linkText("addition")).click();
			waiting(10).until(b -> b.getCurrentUrl().matches(".*/research/runs/[0-9a-f-]{36}$"));
			assertThat(browser.findElement(By.id("accuracy")).getText()).isEqualTo("50.0 %");
			assertThat(browser.findElements(By.cssSelector("#items tbody tr"))).hasSize(8);
			assertThat(browser.findElements(By.cssSelector("#items tbody tr.wrong"))).hasSize(4);
			var first = browser.findElement(By.cssSelector("#items tr[data-item=add-1]"));
			assertThat(first.getText()).contains("What is 1 plus 1?").contains("2 (number)").contains("wrong");
			assertThat(browser.findElement(By.cssSelector("#items tr[data-item=add-2]")).getText()).contains("4 (number)")
				.endsWith("right");
			screenshot("research-run");

			// A slow run is cancelled from the table, and the suite deleted with its runs.
			var answers = backend.script;
			backend.script = request -> {
				try {
					Thread.sleep(400);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				return answers.apply(request);
			};
			browser.get("http://localhost:" + port + "/research");
			browser.findElement(By.cssSelector("#suites input[name=concurrency]")).clear();
			browser.findElement(By.cssSelector("#suites input[name=concurrency]")).sendKeys("1");
			browser.findElement(By.cssSelector("#suites button[type=submit]")).click();
			waiting(10).until(b -> b.getPageSource().contains("Run started"));
			// Nothing graded shows "—", not a 0 % that was never measured.
			for (var row : browser.findElements(By.cssSelector("#runs tbody tr"))) {
				var graded = row.findElement(By.cssSelector(".progress-text")).getText();
				var accuracy = row.findElement(By.cssSelector(".accuracy")).getText();
				assertThat(accuracy.equals("—")).as(graded + " graded, accuracy " + accuracy).isEqualTo(graded.startsWith("0/"));
			}
			waiting(20).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
				.until(b -> b.findElements(By.xpath("//*[@id='runs']//button[text()='Cancel']")).stream().findFirst().orElse(null))
				.click();
			waiting(10).until(b -> b.getPageSource().contains("Run cancelled; what it graded is kept."));
			assertThat(browser.findElement(By.cssSelector("#runs tbody tr")).getText()).contains("cancelled");
			browser.findElement(By.xpath("//*[@id='suites']//button[text()='Delete']")).click();
			browser.switchTo().alert().accept();
			waiting(10).until(b -> b.getPageSource().contains("Suite deleted, with its runs and results."));
			assertThat(browser.findElements(By.id("suites"))).isEmpty();
			assertThat(browser.findElement(By.id("runs")).getText()).contains("No runs yet.");
		}
		finally {
			backend.script = request -> null;
		}
	}

	/** Keeps a picture of the page under target/screenshots, for people reviewing the UI. */
	private static void screenshot(String name) {
		try {
			var file = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(org.openqa.selenium.OutputType.FILE);
			var target = java.nio.file.Path.of("target", "screenshots", name + ".png");
			Files.createDirectories(target.getParent());
			Files.copy(file.toPath(), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}
}
