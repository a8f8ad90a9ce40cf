package org.familiar.research;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.familiar.compute.WorkloadClass;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

/** A suite larger than the configured limits is refused at once, by item count or by size, through the API and the web app. */
@TestPropertySource(properties = { "familiar.research.max-suite-items=5", "familiar.research.max-suite-size=1KB",
		"spring.servlet.multipart.max-file-size=1KB" })
class SuiteLimitsTests extends RunningFamiliar {

	static String items(int count) {
		var suite = new StringBuilder();
		for (int i = 0; i < count; i++) {
			suite.append("{\"id\":\"").append(i).append("\",\"input\":\"1+1\",\"target\":\"2\",\"grader\":\"exact\"}\n");
		}
		return suite.toString();
	}

	@Test
	void tooManyItemsOrTooManyBytesAreRefused() throws Exception {
		var person = identity.addPerson("curie", "correct horse", false, null);
		var token = identity.issueToken(person.id(), "t", WorkloadClass.RESEARCH).secret();
		var http = HttpClient.newHttpClient();
		var upload = (java.util.function.Function<String, HttpResponse<String>>) body -> {
			try {
				return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/research/suites?name=s"))
					.header("Authorization", "Bearer " + token)
					.header("Content-Type", "application/x-ndjson")
					.POST(HttpRequest.BodyPublishers.ofString(body))
					.build(), HttpResponse.BodyHandlers.ofString());
			}
			catch (Exception ex) {
				throw new IllegalStateException(ex);
			}
		};
		assertThat(upload.apply(items(5)).statusCode()).isEqualTo(201);
		var many = upload.apply(items(6));
		assertThat(many.statusCode()).isEqualTo(400);
		assertThat(many.body()).contains("at most 5 items").contains("familiar.research.max-suite-items");
		var large = upload.apply(items(5) + " ".repeat(2000));
		assertThat(large.statusCode()).isEqualTo(413);
		assertThat(large.body()).contains("familiar.research.max-suite-size");

		var browser = new WebSession(port);
		browser.signIn("curie", "correct horse");
		var csrf = WebSession.csrf(browser.get("/research").body());
		var file = "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jsonl\"\r\n\r\n" + items(40)
				+ "\r\n--x--\r\n";
		var web = browser.send("POST", "/research/suites?_csrf=" + csrf, "multipart/form-data; boundary=x",
				file.getBytes(StandardCharsets.UTF_8));
		assertThat(web.statusCode()).isEqualTo(413);
		assertThat(web.body()).contains("Maximum upload size exceeded");
	}
}
