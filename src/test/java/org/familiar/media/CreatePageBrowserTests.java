package org.familiar.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import org.familiar.identity.Person;
import org.familiar.testing.Chromium;
import org.familiar.testing.MediaModelServer;
import org.familiar.testing.RunningFamiliar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * The Create, Characters and Verify pages in Chromium, on a phone-sized window: a holder registers
 * a character for themselves only; someone else's prompt naming it is refused with the rule; an
 * image is made and shown labelled in the gallery; a short video shows its progress and lands in
 * the gallery; the image is attached to a chat message from there; anyone, signed out, checks the
 * downloaded image on Verify. Accessible (axe-core),
 * no console errors, no Content-Security-Policy violations.
 */
@TestPropertySource(properties = { "familiar.media.poll-interval=PT0.1S" })
class CreatePageBrowserTests extends RunningFamiliar {

	static ChromeDriver browser;

	static MediaModelServer studio;

	@DynamicPropertySource
	static void studio(DynamicPropertyRegistry registry) throws java.io.IOException {
		studio = MediaModelServer.serve(registry, "studio");
	}

	@BeforeAll
	static void openBrowser() throws Exception {
		browser = Chromium.open();
	}

	@AfterAll
	static void close() {
		if (browser != null) {
			browser.quit();
		}
		studio.close();
	}

	private void signIn(Person person) {
		var wait = Chromium.waiting(browser, 10);
		browser.manage().deleteAllCookies();
		browser.get("http://localhost:" + port + "/login");
		browser.findElement(By.name("username")).sendKeys(person.username());
		browser.findElement(By.name("password")).sendKeys("correct horse");
		browser.findElement(By.cssSelector("button[type=submit]")).click();
		wait.until(b -> b.getCurrentUrl().endsWith("/chat"));
	}

	@Test
	void aPersonCreatesUnderAHoldersRulesAndAnyoneChecksTheFile() throws Exception {
		var wait = Chromium.waiting(browser, 20);
		Chromium.phone(browser, true);
		var holder = identity.addPerson("holder" + System.nanoTime(), "correct horse", false, null);
		var maker = identity.addPerson("maker" + System.nanoTime(), "correct horse", false, null);

		signIn(holder);
		browser.get("http://localhost:" + port + "/characters");
		browser.findElement(By.id("new-name")).sendKeys("Moon Rabbit");
		browser.findElement(By.id("new-handle")).sendKeys("moonrabbit" + System.nanoTime() % 10000);
		browser.findElement(By.id("new-forbidden")).sendKeys("horror");
		browser.findElement(By.cssSelector("form[action$='/characters'] button[type=submit]")).click();
		wait.until(b -> b.findElement(By.cssSelector(".notice")).getText().contains("Registered"));
		assertThat(Chromium.accessibilityViolations(browser)).as("Characters").isEmpty();

		signIn(maker);
		browser.get("http://localhost:" + port + "/create");
		assertThat(Chromium.accessibilityViolations(browser)).as("Create, empty").isEmpty();
		browser.findElement(By.id("create-prompt")).sendKeys("the Moon Rabbit on a hill");
		browser.findElement(By.cssSelector("#create-form button[type=submit]")).click();
		wait.until(b -> b.findElement(By.cssSelector(".error")).getText().contains("holder only"));
		assertThat(browser.findElement(By.id("create-prompt")).getAttribute("value")).as("the prompt is kept").contains("Moon Rabbit");

		browser.findElement(By.id("create-prompt")).clear();
		browser.findElement(By.id("create-prompt")).sendKeys("a lighthouse at dusk");
		browser.findElement(By.cssSelector("#create-form button[type=submit]")).click();
		wait.until(b -> !b.findElements(By.cssSelector(".gallery .media-item img")).isEmpty());
		assertThat(browser.findElement(By.cssSelector(".gallery .badge")).getText()).isEqualTo("AI-generated");
		assertThat(browser.findElement(By.cssSelector(".gallery .label")).getText()).contains(MediaModelServer.IMAGE_MODEL);
		wait.until(b -> (Boolean) ((org.openqa.selenium.JavascriptExecutor) b)
			.executeScript("const i = document.querySelector('.gallery img'); return i.complete && i.naturalWidth === 32;"));

		studio.stepPercent = 5;
		new Select(browser.findElement(By.id("create-kind"))).selectByValue("video");
		browser.findElement(By.id("create-prompt")).clear();
		browser.findElement(By.id("create-prompt")).sendKeys("waves on a shore");
		browser.findElement(By.cssSelector("#create-form button[type=submit]")).click();
		wait.until(b -> !b.findElements(By.cssSelector(".jobs progress")).isEmpty());
		assertThat(Chromium.accessibilityViolations(browser)).as("Create, a video under way").isEmpty();
		wait.until(b -> !b.findElements(By.cssSelector(".gallery video")).isEmpty());
		assertThat(browser.findElements(By.cssSelector(".gallery .media-item"))).hasSize(2);
		assertThat(Chromium.accessibilityViolations(browser)).as("Create, with a gallery").isEmpty();
		assertThat(Chromium.widerThanTheWindow(browser)).as("nothing wider than a phone").isEmpty();

		// The image goes into a chat message as an attachment.
		var gallery = browser.getCurrentUrl();
		browser.findElement(By.cssSelector(".gallery .use-in-chat")).click();
		wait.until(b -> !b.findElements(By.cssSelector("#pending > *")).isEmpty());
		browser.get(gallery);

		// Anyone, signed out, checks the image.
		var image = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
				browser.findElement(By.cssSelector(".gallery img")).getAttribute("src")))
			.header("Cookie", "JSESSIONID=" + browser.manage().getCookieNamed("JSESSIONID").getValue()).build(),
				java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body();
		var file = Files.createTempFile("made", ".png");
		Files.write(file, image);
		browser.manage().deleteAllCookies();
		browser.get("http://localhost:" + port + "/verify");
		browser.findElement(By.id("verify-file")).sendKeys(file.toString());
		browser.findElement(By.cssSelector("form button[type=submit]")).click();
		wait.until(b -> !b.findElements(By.cssSelector("#verify-result .verdict")).isEmpty());
		assertThat(browser.findElement(By.cssSelector("#verify-result .verdict")).getText()).contains("Made with Familiar")
			.contains("unaltered");
		assertThat(Chromium.accessibilityViolations(browser)).as("Verify").isEmpty();
		assertThat(Chromium.console(browser)).isEmpty();
		assertThat(Chromium.policyViolations(browser)).isEmpty();
		Files.delete(file);
	}
}
