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
}
