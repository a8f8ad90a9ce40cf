package org.familiar.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * A browser without a screen: an HTTP client with cookies that does not follow redirects, signs in
 * through the real login form and posts forms with their CSRF field.
 */
public final class WebSession {

	private final String base;

	private final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();

	/** Sent with every request: a proxy's X-Forwarded-For or X-Forwarded-Proto, say. */
	private final String[] headers;

	/** @param headers names and values, alternately, sent with every request */
	public WebSession(int port, String... headers) {
		this.base = "http://localhost:" + port;
		this.headers = headers;
	}

	/** The cookies this browser holds for Familiar, as the server set them. */
	public java.util.List<java.net.HttpCookie> cookies() {
		return ((CookieManager) http.cookieHandler().orElseThrow()).getCookieStore().getCookies();
	}

	public URI url(String pathOrUrl) {
		return URI.create(pathOrUrl.startsWith("http") ? pathOrUrl : base + pathOrUrl);
	}

	public HttpResponse<String> get(String pathOrUrl) {
		return send(HttpRequest.newBuilder(url(pathOrUrl)).build());
	}

	/** Posts a form: {@code pairs} are names and values, alternately. */
	public HttpResponse<String> post(String pathOrUrl, String... pairs) {
		var body = new StringBuilder();
		for (int i = 0; i < pairs.length; i += 2) {
			body.append(i == 0 ? "" : "&")
				.append(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8))
				.append('=')
				.append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
		}
		return send(HttpRequest.newBuilder(url(pathOrUrl))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(body.toString()))
			.build());
	}

	/**
	 * Sends any request with this browser's cookies.
	 * @param headers names and values, alternately
	 */
	public HttpResponse<String> send(String method, String pathOrUrl, String contentType, byte[] body, String... headers) {
		var request = HttpRequest.newBuilder(url(pathOrUrl))
			.method(method, body.length == 0 && method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
					: HttpRequest.BodyPublishers.ofByteArray(body))
			.timeout(java.time.Duration.ofSeconds(30));
		if (!contentType.isEmpty()) {
			request.header("Content-Type", contentType);
		}
		for (int i = 0; i < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		return send(request.build());
	}

	/** Signs in on /login and returns where the login sent the browser. */
	public String signIn(String username, String password) {
		var login = get("/login");
		var response = post("/login", "_csrf", csrf(login.body()), "username", username, "password", password);
		var location = location(response);
		assertThat(location).as("signed in").doesNotContain("error");
		return location;
	}

	public static String location(HttpResponse<?> response) {
		return response.headers().firstValue("Location").orElseThrow(() -> new AssertionError(
				"expected a redirect, got " + response.statusCode() + ": " + response.body()));
	}

	/** The value of the first CSRF field in a page. */
	public static String csrf(String html) {
		return field(html, "_csrf");
	}

	/** The value of the first input named {@code name} in a page. */
	public static String field(String html, String name) {
		var matcher = Pattern.compile("name=\"" + Pattern.quote(name) + "\"[^>]*value=\"([^\"]*)\"").matcher(html);
		assertThat(matcher.find()).as("a field '" + name + "' in the page").isTrue();
		return org.springframework.web.util.HtmlUtils.htmlUnescape(matcher.group(1));
	}

	private HttpResponse<String> send(HttpRequest request) {
		if (headers.length > 0) {
			var builder = HttpRequest.newBuilder(request, (name, value) -> true);
			for (int i = 0; i < headers.length; i += 2) {
				builder.header(headers[i], headers[i + 1]);
			}
			request = builder.build();
		}
		try {
			return http.send(request, HttpResponse.BodyHandlers.ofString());
		}
		catch (IOException ex) {
			throw new java.io.UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}
}
