package org.familiar.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.familiar.testing.Chromium;
import org.familiar.testing.RunningFamiliar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * The probe's device attack in a real browser: the person has approved a device app once; an
 * attacker starts the device flow for the same app and gets the person's browser, signed in to
 * Familiar, to open the verification link from the attacker's own site (another origin, here
 * 127.0.0.1 against Familiar's localhost). The browser lands on the consent page, nothing is
 * approved, and the attacker's device gets no token.
 */
class DeviceLinkBrowserTests extends RunningFamiliar {

	static WebDriver browser;

	static HttpServer attackerSite;

	@Autowired
	ConnectedApps apps;

	@BeforeAll
	static void openBrowser() throws IOException {
		browser = Chromium.open();
	}

	@AfterAll
	static void close() {
		if (browser != null) {
			browser.quit();
		}
		if (attackerSite != null) {
			attackerSite.stop(0);
		}
	}

	@Test
	void aVerificationLinkFromAnotherSiteApprovesNothing() throws Exception {
		identity.addPerson("ann", "correct horse", false, null);
		var clientId = apps.register(null, "Kitchen Speaker", List.of(), false, true, null).app().clientId();
		var wait = new WebDriverWait(browser, Duration.ofSeconds(10), Duration.ofMillis(20));
		var base = "http://localhost:" + port;
		browser.get(base + "/login");
		browser.findElement(By.name("username")).sendKeys("ann");
		browser.findElement(By.name("password")).sendKeys("correct horse");
		browser.findElement(By.cssSelector("button[type=submit]")).click();
		wait.until(b -> b.getCurrentUrl().endsWith("/chat"));

		// Once, the person links their own speaker: the link shows the consent page, they click Allow.
		var own = deviceCode(clientId);
		browser.get(base + "/activate?user_code=" + own.userCode());
		browser.findElement(By.cssSelector("#activate button[type=submit]")).click();
		wait.until(b -> b.getCurrentUrl().contains("/oauth2/consent"));
		browser.findElement(By.id("allow")).click();
		wait.until(b -> b.getCurrentUrl().endsWith("/activated"));
		assertThat(token(clientId, own.deviceCode())).contains("\"access_token\"");

		// The attacker's device, and a page on the attacker's site that sends the browser to its link.
		var attacker = deviceCode(clientId);
		attackerSite = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
		var page = ("<!DOCTYPE html><title>Win a prize</title><meta http-equiv=\"refresh\" content=\"0;url=" + base
				+ "/oauth2/device_verification?user_code=" + attacker.userCode() + "\">").getBytes(StandardCharsets.UTF_8);
		attackerSite.createContext("/", exchange -> {
			exchange.getResponseHeaders().set("Content-Type", "text/html");
			exchange.sendResponseHeaders(200, page.length);
			exchange.getResponseBody().write(page);
			exchange.close();
		});
		attackerSite.start();
		browser.get("http://127.0.0.1:" + attackerSite.getAddress().getPort() + "/prize");
		wait.until(b -> b.getCurrentUrl().startsWith(base + "/oauth2/consent"));
		assertThat(browser.findElement(By.tagName("h1")).getText()).contains("Kitchen Speaker");
		assertThat(browser.getPageSource()).contains(attacker.userCode()).contains("(already allowed)");
		assertThat(token(clientId, attacker.deviceCode())).as("the attacker's device, after the link")
			.contains("authorization_pending");
	}

	record DeviceCode(String deviceCode, String userCode) {
	}

	private DeviceCode deviceCode(String clientId) throws Exception {
		var body = post("/oauth2/device_authorization", "client_id=" + clientId + "&scope=familiar.assistant");
		return new DeviceCode(field(body, "device_code"), field(body, "user_code"));
	}

	private String token(String clientId, String deviceCode) throws Exception {
		return post("/oauth2/token", "grant_type=urn:ietf:params:oauth:grant-type:device_code&client_id=" + clientId
				+ "&device_code=" + deviceCode);
	}

	private String post(String path, String form) throws Exception {
		return HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
				.header("Content-Type", "application/x-www-form-urlencoded")
				.POST(HttpRequest.BodyPublishers.ofString(form))
				.build(), HttpResponse.BodyHandlers.ofString())
			.body();
	}

	private static String field(String json, String name) {
		var matcher = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
		assertThat(matcher.find()).as(name + " in " + json).isTrue();
		return matcher.group(1);
	}
}
