package org.familiar.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The load generator behind {@code bench/fairness}: closed-loop clients per person and workload
 * class against one Familiar backend, in two phases. Achieved shares and queue waits are read from
 * Familiar's own Prometheus metrics (slot-seconds and the queue-wait histogram), before and after
 * each phase; per-person shares are counted here.
 *
 * <p>Arguments: {@code BASE_URL SECONDS CLIENT...} where a client is
 * {@code class:person:concurrency:thinkMillis:token:phases} and phases is {@code 1}, {@code 2} or
 * {@code 12}.
 */
public final class FairnessBench {

	private static final Pattern SAMPLE = Pattern.compile("^(\\w+)\\{([^}]*)} ([0-9.eE+-]+)$", Pattern.MULTILINE);

	record Client(String workload, String person, int concurrency, long thinkMillis, String token, String phases) {
	}

	private final String base;

	private final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.executor(Executors.newVirtualThreadPerTaskExecutor())
		.build();

	private FairnessBench(String base) {
		this.base = base;
	}

	public static void main(String[] args) throws Exception {
		var bench = new FairnessBench(args[0]);
		long seconds = Long.parseLong(args[1]);
		var clients = new ArrayList<Client>();
		for (int i = 2; i < args.length; i++) {
			var p = args[i].split(":");
			clients.add(new Client(p[0], p[1], Integer.parseInt(p[2]), Long.parseLong(p[3]), p[4], p[5]));
		}
		var policy = Map.of("interactive", 3.0, "app", 2.0, "batch", 1.0, "research", 4.0);

		System.out.printf("phase 1: every class saturated (closed-loop clients, %d s), backend with 4 slots%n", seconds);
		var one = bench.phase(clients.stream().filter(c -> c.phases().contains("1")).toList(), seconds);
		double total = one.slotSeconds().values().stream().mapToDouble(Double::doubleValue).sum();
		double shares = policy.values().stream().mapToDouble(Double::doubleValue).sum();
		System.out.printf("  %-12s %10s %10s %8s%n", "class", "configured", "achieved", "diff");
		double worst = 0;
		for (var workload : List.of("interactive", "app", "batch", "research")) {
			double configured = 100 * policy.get(workload) / shares;
			double achieved = 100 * one.slotSeconds().getOrDefault(workload, 0.0) / total;
			worst = Math.max(worst, Math.abs(achieved - configured));
			System.out.printf(Locale.ROOT, "  %-12s %9.1f%% %9.1f%% %+7.1f%n", workload, configured, achieved,
					achieved - configured);
		}
		System.out.printf(Locale.ROOT, "  largest deviation from the configured share: %.1f points%n", worst);
		for (var workload : List.of("interactive", "research")) {
			var people = one.completedByPerson().getOrDefault(workload, Map.of());
			long sum = people.values().stream().mapToLong(Long::longValue).sum();
			var line = new StringBuilder("  per person inside " + workload + ":");
			people.forEach((person, count) -> line.append(String.format(Locale.ROOT, " %s (%d concurrent) %.1f%%", person,
					clients.stream().filter(c -> c.person().equals(person) && c.workload().equals(workload))
						.findFirst().orElseThrow().concurrency(), 100.0 * count / sum)));
			System.out.println(line);
		}
		System.out.printf(Locale.ROOT, "  queue wait p95 by class (ms): %s%n", one.p95());
		System.out.printf(Locale.ROOT, "  refused (429): %d%n", one.refused());

		System.out.printf("phase 2: research flood, light interactive chat (%d s)%n", seconds);
		var two = bench.phase(clients.stream().filter(c -> c.phases().contains("2")).toList(), seconds);
		double total2 = two.slotSeconds().values().stream().mapToDouble(Double::doubleValue).sum();
		System.out.printf(Locale.ROOT, "  slots used: %.2f of 4 on average; research %.1f%%, interactive %.1f%%%n",
				total2 / seconds, 100 * two.slotSeconds().getOrDefault("research", 0.0) / total2,
				100 * two.slotSeconds().getOrDefault("interactive", 0.0) / total2);
		System.out.printf(Locale.ROOT, "  interactive queue wait: p95 %.0f ms (research p95 %.0f ms)%n",
				two.p95().getOrDefault("interactive", 0.0), two.p95().getOrDefault("research", 0.0));
		System.out.printf(Locale.ROOT, "  refused (429): %d%n", two.refused());
		System.out.printf(Locale.ROOT, "RESULT largest_share_deviation_points=%.1f interactive_p95_wait_ms_saturated=%.0f "
				+ "interactive_p95_wait_ms_flood=%.0f%n", worst, one.p95().getOrDefault("interactive", 0.0),
				two.p95().getOrDefault("interactive", 0.0));
		System.exit(0);
	}

	record Outcome(Map<String, Double> slotSeconds, Map<String, Map<String, Long>> completedByPerson,
			Map<String, Double> p95, long refused) {
	}

	private Outcome phase(List<Client> clients, long seconds) throws Exception {
		var before = scrape();
		var completed = new ConcurrentHashMap<String, Map<String, AtomicLong>>();
		var refused = new AtomicLong();
		long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
		try (var workers = Executors.newVirtualThreadPerTaskExecutor()) {
			for (var client : clients) {
				for (int i = 0; i < client.concurrency(); i++) {
					workers.submit(() -> {
						while (System.nanoTime() < deadline) {
							int status = ask(client);
							if (status == 200 && System.nanoTime() < deadline) {
								completed.computeIfAbsent(client.workload(), w -> new ConcurrentHashMap<>())
									.computeIfAbsent(client.person(), p -> new AtomicLong())
									.incrementAndGet();
							}
							else if (status == 429) {
								refused.incrementAndGet();
							}
							if (client.thinkMillis() > 0) {
								Thread.sleep(client.thinkMillis());
							}
						}
						return null;
					});
				}
			}
		}
		// Requests still running at the deadline finish (and count their slot time) before the scrape.
		Thread.sleep(1500);
		var after = scrape();
		var slotSeconds = new TreeMap<String, Double>();
		var p95 = new TreeMap<String, Double>();
		for (var workload : List.of("interactive", "app", "batch", "research")) {
			var key = "familiar_capacity_slot_seconds_total|" + workload;
			slotSeconds.put(workload, after.getOrDefault(key, 0.0) - before.getOrDefault(key, 0.0));
			p95.put(workload, Math.round(p95(before, after, workload) * 10) / 10.0);
		}
		var byPerson = new TreeMap<String, Map<String, Long>>();
		completed.forEach((workload, people) -> {
			var counts = new TreeMap<String, Long>();
			people.forEach((person, count) -> counts.put(person, count.get()));
			byPerson.put(workload, counts);
		});
		return new Outcome(slotSeconds, byPerson, p95, refused.get());
	}

	private int ask(Client client) {
		var body = "{\"model\":\"fake-model\",\"messages\":[{\"role\":\"user\",\"content\":\"a fair share please\"}]}";
		var request = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
			.header("Authorization", "Bearer " + client.token())
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(body))
			.build();
		try {
			return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
		}
		catch (Exception ex) {
			return -1;
		}
	}

	/** The 95th percentile of queue wait in ms for a class, from the histogram's change over the phase. */
	private static double p95(Map<String, Double> before, Map<String, Double> after, String workload) {
		var buckets = new TreeMap<Double, Double>();
		after.forEach((key, value) -> {
			var parts = key.split("\\|");
			if (parts[0].equals("familiar_queue_wait_seconds_bucket") && parts[1].equals(workload)) {
				double le = parts[2].equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(parts[2]);
				buckets.put(le, value - before.getOrDefault(key, 0.0));
			}
		});
		if (buckets.isEmpty()) {
			return 0;
		}
		double count = buckets.lastEntry().getValue();
		if (count == 0) {
			return 0;
		}
		double target = 0.95 * count;
		double lower = 0;
		double below = 0;
		for (var bucket : buckets.entrySet()) {
			if (bucket.getValue() >= target) {
				double upper = bucket.getKey().isInfinite() ? lower : bucket.getKey();
				double inBucket = bucket.getValue() - below;
				double fraction = inBucket == 0 ? 1 : (target - below) / inBucket;
				return 1000 * (lower + (upper - lower) * fraction);
			}
			lower = bucket.getKey();
			below = bucket.getValue();
		}
		return 1000 * lower;
	}

	/** The metrics this bench reads, keyed {@code name|workload[|le]}, for backend "fake". */
	private Map<String, Double> scrape() throws Exception {
		var text = http.send(HttpRequest.newBuilder(URI.create(base + "/actuator/prometheus")).build(),
				HttpResponse.BodyHandlers.ofString()).body();
		var values = new LinkedHashMap<String, Double>();
		var matcher = SAMPLE.matcher(text);
		while (matcher.find()) {
			var name = matcher.group(1);
			if (!name.equals("familiar_capacity_slot_seconds_total") && !name.equals("familiar_queue_wait_seconds_bucket")) {
				continue;
			}
			var labels = new LinkedHashMap<String, String>();
			for (var label : matcher.group(2).split(",")) {
				var kv = label.split("=", 2);
				if (kv.length == 2) {
					labels.put(kv[0], kv[1].replace("\"", ""));
				}
			}
			if (!"fake".equals(labels.get("backend"))) {
				continue;
			}
			var key = name + "|" + labels.get("workload") + (labels.containsKey("le") ? "|" + labels.get("le") : "");
			values.put(key, Double.parseDouble(matcher.group(3)));
		}
		return values;
	}
}
