package org.familiar.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Measures time to first token of streamed chat completions, one request after the other: from
 * sending the request to reading the first SSE event that carries text. Used by
 * {@code bench/foundation}; prints {@code p50 p90 p99 mean} in milliseconds.
 *
 * <p>{@code java -cp … org.familiar.testing.TtftProbe BASE_URL TOKEN REQUESTS [WARMUP]}
 */
public final class TtftProbe {

	private TtftProbe() {
	}

	public static void main(String[] args) throws Exception {
		var url = URI.create(args[0] + "/chat/completions");
		var token = args[1];
		int requests = Integer.parseInt(args[2]);
		int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 200;
		var http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
		var body = "{\"model\":\"fake-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"time to first token\"}]}";
		var request = HttpRequest.newBuilder(url)
			.header("Authorization", "Bearer " + token)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build();
		for (int i = 0; i < warmup; i++) {
			once(http, request);
		}
		var nanos = new long[requests];
		for (int i = 0; i < requests; i++) {
			nanos[i] = once(http, request);
		}
		Arrays.sort(nanos);
		double mean = Arrays.stream(nanos).average().orElse(0) / 1e6;
		System.out.printf("%.3f %.3f %.3f %.3f%n", pct(nanos, 50), pct(nanos, 90), pct(nanos, 99), mean);
	}

	private static double pct(long[] sorted, int p) {
		return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
	}

	/** One request; returns nanoseconds to the first event with text, then reads the rest. */
	private static long once(HttpClient http, HttpRequest request) throws Exception {
		long start = System.nanoTime();
		long first = -1;
		var response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
		if (response.statusCode() != 200) {
			throw new IllegalStateException("HTTP " + response.statusCode() + ": " + new String(response.body().readAllBytes()));
		}
		try (var lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
			String line;
			while ((line = lines.readLine()) != null) {
				if (first < 0 && line.startsWith("data: ") && line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) {
					first = System.nanoTime() - start;
				}
			}
		}
		if (first < 0) {
			throw new IllegalStateException("no text in the stream");
		}
		return first;
	}
}
