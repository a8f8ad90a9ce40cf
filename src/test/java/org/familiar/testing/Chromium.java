package org.familiar.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.logging.Level;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Headless Chromium for the web UI tests (Debian's chromium and chromedriver; .ci/run installs
 * them), with the browser console kept so tests can read Content-Security-Policy violations.
 */
public final class Chromium {

	private Chromium() {
	}

	public static ChromeDriver open() throws IOException {
		var chromium = System.getProperty("familiar.test.chromium", "/usr/bin/chromium");
		var chromedriver = System.getProperty("familiar.test.chromedriver", "/usr/bin/chromedriver");
		if (!new File(chromium).canExecute() || !new File(chromedriver).canExecute()) {
			throw new IllegalStateException("The web UI tests need Chromium and its driver: apt-get install chromium "
					+ "chromium-driver (.ci/run does), or point -Dfamiliar.test.chromium / -Dfamiliar.test.chromedriver at them.");
		}
		var options = new ChromeOptions();
		options.setBinary(chromium);
		options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
				"--no-first-run", "--window-size=1280,900",
				"--user-data-dir=" + Files.createTempDirectory("chromium-profile"));
		var logs = new LoggingPreferences();
		logs.enable(LogType.BROWSER, Level.ALL);
		options.setCapability("goog:loggingPrefs", logs);
		var service = new ChromeDriverService.Builder().usingDriverExecutable(new File(chromedriver)).build();
		return new ChromeDriver(service, options);
	}

	/** The console messages since the last call (reading them empties the browser's buffer). */
	public static List<String> console(WebDriver browser) {
		return browser.manage().logs().get(LogType.BROWSER).getAll().stream().map(LogEntry::getMessage).toList();
	}

	/** Console messages that report a Content-Security-Policy violation. */
	public static List<String> policyViolations(WebDriver browser) {
		return console(browser).stream().filter(message -> message.contains("Content Security Policy")).toList();
	}

	/** The page at a phone's size (390×844, touch, as an iPhone 14 or a Pixel 7), or back at the desktop's. */
	public static void phone(ChromeDriver browser, boolean phone) {
		if (phone) {
			browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
					java.util.Map.of("width", 390, "height", 844, "deviceScaleFactor", 2, "mobile", true));
			browser.executeCdpCommand("Emulation.setTouchEmulationEnabled", java.util.Map.of("enabled", true));
		}
		else {
			browser.executeCdpCommand("Emulation.clearDeviceMetricsOverride", java.util.Map.of());
			browser.executeCdpCommand("Emulation.setTouchEmulationEnabled", java.util.Map.of("enabled", false));
		}
	}

	/** Makes the system's colour scheme dark or light, as a phone's or desktop's setting would. */
	public static void darkMode(ChromeDriver browser, boolean dark) {
		browser.executeCdpCommand("Emulation.setEmulatedMedia", java.util.Map.of("features",
				List.of(java.util.Map.of("name", "prefers-color-scheme", "value", dark ? "dark" : "light"))));
	}

	/** Saves what the browser shows as {@code target/screenshots/NAME.png}. */
	public static java.nio.file.Path screenshot(WebDriver browser, String name) {
		try {
			var file = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(org.openqa.selenium.OutputType.FILE);
			var target = java.nio.file.Path.of("target", "screenshots", name + ".png");
			Files.createDirectories(target.getParent());
			Files.copy(file.toPath(), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
			return target;
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * What axe-core (Deque's rules, WCAG 2.x A and AA and best practices) finds wrong with the page
	 * as it is shown now: every violation, with its impact.
	 */
	public static List<com.deque.html.axecore.results.Rule> accessibilityViolations(WebDriver browser) {
		var results = new com.deque.html.axecore.selenium.AxeBuilder().analyze(browser);
		return results.getViolations();
	}

	/** How wide the page is beyond the window (0: nothing runs off the side). */
	public static long overflow(WebDriver browser) {
		return ((Number) ((org.openqa.selenium.JavascriptExecutor) browser)
			.executeScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth")).longValue();
	}

	/** The elements that reach past the right edge of the window, to say what overflows. */
	@SuppressWarnings("unchecked")
	public static List<String> widerThanTheWindow(WebDriver browser) {
		return (List<String>) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("""
				const width = document.documentElement.clientWidth;
				return [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > width + 1)
				  .slice(0, 8).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.')
				    + ' right=' + Math.round(e.getBoundingClientRect().right));""");
	}

	/**
	 * Waits for a condition, polling every 20 ms; an element read while the page is being redrawn
	 * (stale) or not there yet counts as "not yet".
	 */
	public static org.openqa.selenium.support.ui.WebDriverWait waiting(WebDriver browser, int seconds) {
		var wait = new org.openqa.selenium.support.ui.WebDriverWait(browser, java.time.Duration.ofSeconds(seconds),
				java.time.Duration.ofMillis(20));
		wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
		wait.ignoring(org.openqa.selenium.NoSuchElementException.class);
		return wait;
	}
}
