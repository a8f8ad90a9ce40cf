package org.familiar.assistant;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.familiar.testing.Chromium;
import org.familiar.testing.RunningFamiliar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Markup in a person's message or a model's reply must not run, stored or streamed, however it is
 * dressed: the probe's htmx attributes ({@code data-hx-on-*}, which DOMPurify keeps by default),
 * event handlers, {@code javascript:} links, scripts inside SVG, frames. Each payload would set
 * {@code document.body.dataset.pwned} if it ran; the test also clicks every element of every
 * message, and checks that no page of the app itself needs what the Content-Security-Policy forbids.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UntrustedMarkupBrowserTests extends RunningFamiliar {

	static WebDriver browser;

	/** Each would mark the page if it ran (or, for the hx-* ones, make a request as the person). */
	static final List<String> PAYLOADS = List.of(
			"<form data-hx-on--after-process-node=\"document.body.dataset.pwned='form'\"></form>",
			"<b data-hx-on-click=\"document.body.dataset.pwned='b'\">bold click</b>",
			"<span hx-on:click=\"document.body.dataset.pwned='span'\">span click</span>",
			"<img src=x onerror=\"document.body.dataset.pwned='img'\">",
			"<div data-hx-post=\"/memory/forget-all\" data-hx-vals='{\"confirm\":\"true\"}' data-hx-trigger=\"load\">div</div>",
			"<button hx-get=\"/settings/account\" hx-trigger=\"load\" hx-target=\"body\">button</button>",
			"<a href=\"javascript:document.body.dataset.pwned='a'\">js link</a>",
			"[md link](javascript:document.body.dataset.pwned='md')",
			"<svg><script>document.body.dataset.pwned='svg'</script></svg>",
			"<iframe srcdoc=\"<script>parent.document.body.dataset.pwned='iframe'</script>\"></iframe>",
			"<details open ontoggle=\"document.body.dataset.pwned='details'\">details</details>",
			"<a class=\"thumb up\" id=\"send\" name=\"prompt\" style=\"position:fixed;inset:0\">dressed up</a>",
			"<math><mtext><table><mglyph><style><img src=x onerror=\"document.body.dataset.pwned='math'\">");

	static final String ATTACK = String.join("\n\n", PAYLOADS);

	@BeforeAll
	static void openBrowser() throws IOException {
		browser = Chromium.open();
	}

	@AfterAll
	static void closeBrowser() {
		if (browser != null) {
			browser.quit();
		}
	}

	private WebDriverWait waiting(int seconds) {
		return new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(20));
	}

	private Object js(String script, Object... args) {
		return ((JavascriptExecutor) browser).executeScript(script, args);
	}

	@Test
	@Order(1)
	void markupInMessagesAndRepliesDoesNotRunStoredOrStreamed() {
		// The model answers the trigger with every payload, as a prompt-injected page could make it.
		backend.script = request -> {
			var messages = request.path("messages");
			var last = messages.get(messages.size() - 1).path("content").asText();
			return last.startsWith("payloads") ? ATTACK : null;
		};
		identity.addPerson("ada", "analytical engine", true, null);
		browser.get("http://localhost:" + port + "/login");
		browser.findElement(By.name("username")).sendKeys("ada");
		browser.findElement(By.name("password")).sendKeys("analytical engine");
		browser.findElement(By.cssSelector("button[type=submit]")).click();
		waiting(10).until(b -> b.getCurrentUrl().endsWith("/chat"));

		// A memory the forget-all payload would erase, if htmx acted on it.
		js("document.getElementById('prompt').value = 'Remember that I keep bees';"
				+ "document.getElementById('composer').requestSubmit();");
		waiting(20).until(b -> b.findElement(By.id("send")).isDisplayed() && lastReplyDone());
		// The person's own message carries the payloads (stored as typed); the model's reply carries them too.
		js("document.getElementById('prompt').value = arguments[0]; document.getElementById('composer').requestSubmit();",
				"payloads\n\n" + ATTACK);
		waiting(20).until(b -> b.findElement(By.id("send")).isDisplayed() && lastReplyDone()
				&& lastReply().getText().contains("bold click"));
		assertNothingRan("streamed");

		browser.navigate().refresh();
		waiting(10).until(b -> b.findElements(By.cssSelector(".message .content")).size() == 4);
		assertThat(lastReply().getText()).contains("bold click");
		assertNothingRan("stored");
		assertThat(memories()).contains("I keep bees");
	}

	@Test
	@Order(2)
	void noPageOfTheAppNeedsInlineScriptStyleOrEval() {
		Chromium.console(browser);
		for (var page : List.of("/chat", "/memory", "/usage", "/settings/apps", "/research", "/settings/tokens",
				"/settings/account", "/admin/people", "/admin/capacity", "/admin/usage", "/developer/apps",
				"/activate")) {
			browser.get("http://localhost:" + port + page);
			waiting(10).until(b -> "complete".equals(js("return document.readyState")));
			assertThat(Chromium.policyViolations(browser)).as("violations on " + page).isEmpty();
		}
		// The detector itself: an inline script added to a page is refused and the refusal is seen.
		js("var s = document.createElement('script'); s.textContent = 'document.body.dataset.pwned = 1'; document.head.appendChild(s);");
		waiting(5).until(b -> !Chromium.policyViolations(b).isEmpty());
		assertThat(js("return document.body.dataset.pwned || null")).isNull();
	}

	@Test
	@Order(3)
	void everyPageSendsTheSecurityHeaders() throws Exception {
		var response = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/login")).build(),
					HttpResponse.BodyHandlers.discarding());
		var csp = response.headers().firstValue("Content-Security-Policy").orElseThrow();
		assertThat(csp).contains("script-src 'self'").contains("object-src 'none'").contains("frame-ancestors 'none'")
			.doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
		assertThat(response.headers().firstValue("Referrer-Policy")).hasValue("same-origin");
		assertThat(response.headers().firstValue("Permissions-Policy").orElseThrow()).contains("camera=()");
		assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
	}

	private boolean lastReplyDone() {
		return browser.findElements(By.cssSelector(".message.streaming")).isEmpty();
	}

	private WebElement lastReply() {
		return browser.findElements(By.cssSelector(".message.assistant .content")).getLast();
	}

	private String memories() {
		return (String) ((JavascriptExecutor) browser).executeAsyncScript(
				"const done = arguments[0]; fetch('/api/memories').then(r => r.text()).then(done);");
	}

	private void assertNothingRan(String when) {
		var url = browser.getCurrentUrl();
		@SuppressWarnings("unchecked")
		var survivors = (List<String>) js("""
				return [...document.querySelectorAll('#messages .content *')].flatMap(e => [...e.attributes]
				  .filter(a => /^(on|hx-|data-|style$|id$|name$)/i.test(a.name) || /^javascript:/i.test(a.value)
				    || (a.name === 'class' && !/^(language-|hljs)/.test(a.value)))
				  .map(a => e.tagName + ' ' + a.name + '=' + a.value));""");
		assertThat(survivors).as("attributes left in messages (%s)", when).isEmpty();
		assertThat(browser.findElements(By.cssSelector("#messages .content :is(form, button, iframe, svg, math, script, style, input)")))
			.as("active elements in messages (%s)", when)
			.isEmpty();
		for (var element : browser.findElements(By.cssSelector("#messages .content *"))) {
			if (element.isDisplayed()) {
				js("arguments[0].click()", element);
			}
		}
		js("document.querySelectorAll('#messages details').forEach(d => d.open = !d.open)");
		assertThat(js("return document.body.dataset.pwned || null")).as("a payload ran (%s)", when).isNull();
		assertThat(browser.getCurrentUrl()).isEqualTo(url);
	}
}
