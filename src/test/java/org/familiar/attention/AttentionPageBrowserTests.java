package org.familiar.attention;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.familiar.compute.WorkloadClass;
import org.familiar.testing.Chromium;
import org.familiar.testing.RunningFamiliar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;

/**
 * The Attention page in Chromium: a notification an app sends while the page is open is announced
 * at once with its reason (the page follows the person's event stream), the person opens and
 * dismisses from the list, changes their rules and mutes a sender; no console errors and no
 * Content-Security-Policy violations.
 */
@org.springframework.context.annotation.Import(org.familiar.testing.SettableClock.Bean.class)
@org.springframework.test.context.TestPropertySource(properties = { "familiar.attention.tick=PT1H", "familiar.attention.zone=UTC" })
class AttentionPageBrowserTests extends RunningFamiliar {

	static ChromeDriver browser;

	@org.springframework.beans.factory.annotation.Autowired
	org.familiar.testing.SettableClock clock;

	@org.springframework.beans.factory.annotation.Autowired
	AttentionManagement attention;

	@BeforeAll
	static void openBrowser() throws Exception {
		browser = Chromium.open();
	}

	@AfterAll
	static void closeBrowser() {
		if (browser != null) {
			browser.quit();
		}
	}

	private void signIn(String name) {
		var wait = Chromium.waiting(browser, 10);
		browser.manage().deleteAllCookies();
		browser.get("http://localhost:" + port + "/login");
		browser.findElement(By.name("username")).sendKeys(name);
		browser.findElement(By.name("password")).sendKeys("correct horse");
		browser.findElement(By.cssSelector("button[type=submit]")).click();
		wait.until(b -> b.getCurrentUrl().endsWith("/chat"));
	}

	@Test
	void aReminderAskedForInChatIsShownUnderTheMessageChangedOnAttentionAndShownWhenDue() throws Exception {
		identity.addPerson("dora", "correct horse", false, null);
		clock.set(java.time.LocalDate.now(java.time.ZoneOffset.UTC).atTime(14, 0).toInstant(java.time.ZoneOffset.UTC));
		try {
			var wait = Chromium.waiting(browser, 20);
			signIn("dora");
			browser.findElement(By.id("prompt")).sendKeys("remind me at 5pm to call mum", org.openqa.selenium.Keys.ENTER);
			wait.until(b -> b.findElements(By.cssSelector("#messages article.user .status.note")).size() == 1);
			var note = browser.findElement(By.cssSelector("#messages article.user .status.note"));
			assertThat(note.getText()).matches("Reminder set for \\w{3} \\d{1,2} \\w{3}, 17:00: call mum Change");
			wait.until(b -> !b.findElements(By.cssSelector("#messages article.assistant .actions")).isEmpty());
			browser.navigate().refresh();
			wait.until(b -> b.findElements(By.cssSelector("#messages article.user .status.note")).size() == 1);
			assertThat(browser.findElement(By.cssSelector("#messages article.user .status.note")).getText()).contains("call mum");

			browser.findElement(By.cssSelector("#messages article.user .status.note a")).click();
			wait.until(b -> b.getCurrentUrl().contains("/attention"));
			var what = browser.findElement(By.cssSelector("form.reminder input[name=what]"));
			assertThat(what.getDomProperty("value")).isEqualTo("call mum");
			what.clear();
			what.sendKeys("call mum about Sunday");
			var due = browser.findElement(By.cssSelector("form.reminder input[name=due]"));
			assertThat(due.getDomProperty("value")).endsWith("T17:00");
			browser.findElement(By.cssSelector("form.reminder button[type=submit]:not(.link)")).click();
			wait.until(b -> b.getPageSource().contains("Reminder changed."));

			// Due: the page's stream shows it the moment Familiar releases it.
			clock.set(clock.instant().plus(Duration.ofHours(3)).plusSeconds(1));
			attention.tick();
			wait.until(b -> b.findElement(By.id("attention-live")).getText().contains("Reminder: call mum about Sunday"));
			wait.until(b -> b.findElements(By.cssSelector("form.reminder")).isEmpty());
			assertThat(browser.findElement(By.id("notifications")).getText()).as("no longer changeable once shown")
				.contains("Reminder: call mum about Sunday").contains("a reminder you asked for, due at 17:00");
		}
		finally {
			clock.release();
		}
	}

	@Test
	void theAttentionPageShowsWhatCameInLiveAndTakesRules() throws Exception {
		var cleo = identity.addPerson("cleo", "correct horse", false, null);
		// Afternoon in UTC and in Berlin: outside the default quiet hours whenever CI runs.
		clock.set(java.time.LocalDate.now(java.time.ZoneOffset.UTC).atTime(13, 0).toInstant(java.time.ZoneOffset.UTC));
		try {
			rulesAndLive(cleo);
		}
		finally {
			clock.release();
		}
	}

	private void rulesAndLive(org.familiar.identity.Person cleo) throws Exception {
		var token = identity.issueToken(cleo.id(), "notes", WorkloadClass.INTERACTIVE).secret();
		var wait = Chromium.waiting(browser, 10);
		var base = "http://localhost:" + port;
		signIn("cleo");
		browser.findElement(By.linkText("Attention")).click();
		wait.until(b -> b.getCurrentUrl().endsWith("/attention"));
		assertThat(browser.findElement(By.id("devices")).getText()).contains("No device is linked yet");

		var sent = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/api/notifications"))
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"Parcel at the door\",\"urgency\":\"high\"}"))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(sent.statusCode()).isEqualTo(201);
		wait.until(b -> b.findElement(By.id("attention-live")).getText().contains("Parcel at the door"));
		assertThat(browser.findElement(By.id("attention-live")).getText())
			.isEqualTo("Parcel at the door — now in the web app: no device is linked");
		wait.until(b -> b.findElement(By.id("notifications")).getText().contains("Parcel at the door"));

		browser.findElement(By.cssSelector("#notifications li button.link")).click();
		wait.until(b -> b.findElement(By.id("notifications")).getText().contains("opened"));

		var zone = browser.findElement(By.id("zone"));
		zone.clear();
		zone.sendKeys("Europe/Berlin");
		var times = browser.findElement(By.name("digest_times"));
		times.clear();
		times.sendKeys("08:30, 19:00");
		browser.findElement(By.cssSelector("#rules form.rules button[type=submit]")).click();
		wait.until(b -> b.getPageSource().contains("Rules saved."));
		assertThat(browser.findElement(By.name("digest_times")).getDomProperty("value")).isEqualTo("08:30, 19:00");
		times = browser.findElement(By.name("digest_times"));
		times.clear();
		times.sendKeys("lunchtime");
		browser.findElement(By.cssSelector("#rules form.rules button[type=submit]")).click();
		wait.until(b -> b.findElements(By.cssSelector("p.error")).size() == 1);
		assertThat(browser.findElement(By.cssSelector("p.error")).getText()).contains("a time of day such as 18:00");
		assertThat(browser.findElement(By.name("digest_times")).getDomProperty("value")).as("nothing changed").isEqualTo("08:30, 19:00");

		browser.findElement(By.id("self-title")).sendKeys("Water the plants");
		new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("self-urgency"))).selectByValue("low");
		browser.findElement(By.cssSelector("#send-self button")).click();
		wait.until(b -> b.findElement(By.id("notifications")).getText().contains("Water the plants"));
		assertThat(browser.findElement(By.id("notifications")).getText()).contains("held: low urgency; in your");
		assertThat(Chromium.console(browser)).as("console messages, Content-Security-Policy violations among them").isEmpty();
	}
}
