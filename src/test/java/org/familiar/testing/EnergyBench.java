package org.familiar.testing;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.familiar.FamiliarApplication;
import org.familiar.compute.ComputeManagement;
import org.familiar.research.ResearchManagement;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.WebApplicationType;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The scripted day behind {@code bench/energy}: a day's hourly carbon forecast (a winter day on
 * a windy grid: clean overnight and at midday, dirty at the evening peak), research runs
 * submitted every half hour through it, each of a few items against a stand-in model server, and
 * Familiar's clock stepped hour by hour. Run twice in one process, each on its own Familiar: once
 * with no energy policy (every run starts at once), once with {@code cleanest-hours} of a quarter
 * of the day. Reports, from the graded items' own energy and time, the share of research energy
 * that ran in the day's cleanest quarter, its grams of CO₂, and how long runs waited.
 *
 * <p>Arguments: {@code RUNS ITEMS CLEANEST_HOURS DEADLINE_HOURS}.
 */
public final class EnergyBench {

	/** gCO₂/kWh, hour by hour from midnight. */
	static final double[] CARBON = { 210, 190, 170, 150, 140, 150, 190, 260, 320, 300, 250, 200, 180, 190, 230, 290, 360, 420,
			440, 410, 360, 310, 270, 240 };

	public static void main(String[] args) throws Exception {
		int runs = args.length > 0 ? Integer.parseInt(args[0]) : 48;
		int items = args.length > 1 ? Integer.parseInt(args[1]) : 4;
		int cleanest = args.length > 2 ? Integer.parseInt(args[2]) : 6;
		int deadline = args.length > 3 ? Integer.parseInt(args[3]) : 24;
		try (var backend = new FakeModelServer(0, 0)) {
			var atOnce = day(backend, runs, items, null, deadline);
			var held = day(backend, runs, items, cleanest, deadline);
			var quarter = cleanestHours(CARBON.length / 4);
			System.out.printf(Locale.ROOT, "scripted day: %d research runs of %d items, submitted every %d min; cleanest quarter = hours %s%n",
					runs, items, 24 * 60 / runs, quarter);
			print("at once", atOnce);
			print("policy: cleanest " + cleanest + " h of 24, deadline " + deadline + " h", held);
			System.out.printf(Locale.ROOT, "share of research energy in the cleanest quarter: %.1f %% at once, %.1f %% with the policy"
					+ " (%.2fx); CO2 %.1f g -> %.1f g (%.0f %% less)%n", 100 * atOnce.shareInQuarter, 100 * held.shareInQuarter,
					held.shareInQuarter / atOnce.shareInQuarter, atOnce.co2, held.co2, 100 * (1 - held.co2 / atOnce.co2));
		}
		System.exit(0);
	}

	record Outcome(double energyWh, double shareInQuarter, double co2, double meanWaitHours, double maxWaitHours, int items) {
	}

	private static void print(String label, Outcome o) {
		System.out.printf(Locale.ROOT, "%-48s %4d items, %.3f Wh, %.1f %% of it in the cleanest quarter, %.2f g CO2, wait mean %.1f h max %.1f h%n",
				label, o.items, o.energyWh, 100 * o.shareInQuarter, o.co2, o.meanWaitHours, o.maxWaitHours);
	}

	static Set<Integer> cleanestHours(int n) {
		return IntStream.range(0, CARBON.length)
			.boxed()
			.sorted(Comparator.comparingDouble(h -> CARBON[h]))
			.limit(n)
			.collect(Collectors.toCollection(java.util.TreeSet::new));
	}

	private static Outcome day(FakeModelServer backend, int runs, int items, Integer cleanest, int deadline) throws Exception {
		var home = Files.createTempDirectory("familiar-energy-bench-");
		var day0 = Instant.now().truncatedTo(ChronoUnit.DAYS).plus(Duration.ofDays(1));
		var grid = home.resolve("grid.json");
		// Two days of the same curve: work submitted late on the first may wait into the second.
		Files.writeString(grid, "{\"hours\": [" + IntStream.range(0, 48)
			.mapToObj(h -> "{\"start\": \"" + day0.plus(Duration.ofHours(h)) + "\", \"carbon\": " + CARBON[h % 24] + "}")
			.collect(Collectors.joining(",")) + "]}");
		var properties = new ArrayList<>(List.of("--familiar.home=" + home, "--familiar.embedded.enabled=false",
				"--familiar.backends.stand-in.url=" + backend.baseUrl(), "--familiar.energy.grid-file=" + grid,
				"--familiar.health-check-interval=PT1H", "--logging.level.root=WARN", "--spring.main.banner-mode=off"));
		if (cleanest != null) {
			properties.add("--familiar.energy.policies.research.cleanest-hours=" + cleanest);
			properties.add("--familiar.energy.policies.research.deadline=PT" + deadline + "H");
		}
		var context = new SpringApplicationBuilder(FamiliarApplication.class, SettableClock.Bean.class)
			.web(WebApplicationType.NONE)
			.run(properties.toArray(String[]::new));
		try {
			var clock = context.getBean(SettableClock.class);
			var compute = context.getBean(ComputeManagement.class);
			var research = context.getBean(ResearchManagement.class);
			var jdbc = context.getBean(JdbcClient.class);
			var suiteText = IntStream.rangeClosed(1, items)
				.mapToObj(n -> "{\"id\": \"q" + n + "\", \"input\": \"Say the number " + n + " and explain why it matters.\", \"target\": \""
						+ n + "\", \"grader\": \"includes\"}")
				.collect(Collectors.joining("\n"));
			clock.set(day0);
			compute.reconsiderEnergyWindows();
			var suite = research.upload(null, "scripted-day", new StringReader(suiteText), false);
			var submitted = new ArrayList<UUID>();
			var submittedAt = new java.util.HashMap<UUID, Instant>();
			long stepMinutes = 24 * 60 / runs;
			for (int minute = 0; minute < 48 * 60; minute += (int) stepMinutes) {
				var now = day0.plus(Duration.ofMinutes(minute));
				clock.set(now);
				compute.reconsiderEnergyWindows();
				if (submitted.size() < runs) {
					var run = research.start(null, suite, FakeModelServer.MODEL, null, 2);
					submitted.add(run);
					submittedAt.put(run, now);
				}
				// Everything not waiting for its window finishes before the clock moves on.
				long deadlineNanos = System.nanoTime() + Duration.ofSeconds(60).toNanos();
				while (System.nanoTime() < deadlineNanos) {
					long open = submitted.stream().filter(r -> !research.progress(r).finished()).count();
					long held = compute.heldForEnergy().size();
					if (open == held) {
						break;
					}
					Thread.onSpinWait();
					Thread.sleep(2);
				}
				if (submitted.size() == runs && submitted.stream().allMatch(r -> research.progress(r).finished())) {
					break;
				}
			}
			var quarter = cleanestHours(CARBON.length / 4);
			double energy = 0;
			double inQuarter = 0;
			double co2 = 0;
			int graded = 0;
			double waitSum = 0;
			double waitMax = 0;
			for (var run : submitted) {
				var rows = jdbc.sql("select graded_at, energy_wh, grid_g_per_kwh from eval_result where run_id = :run")
					.param("run", run)
					.query((rs, n) -> new Object[] { rs.getTimestamp(1).toInstant(), rs.getDouble(2), rs.getObject(3, Double.class) })
					.list();
				var first = rows.stream().map(r -> (Instant) r[0]).min(Comparator.naturalOrder()).orElse(submittedAt.get(run));
				double wait = Duration.between(submittedAt.get(run), first).toMinutes() / 60.0;
				waitSum += wait;
				waitMax = Math.max(waitMax, wait);
				for (var row : rows) {
					double wh = (double) row[1];
					int hour = (int) (Duration.between(day0, (Instant) row[0]).toHours() % 24);
					energy += wh;
					inQuarter += quarter.contains(hour) ? wh : 0;
					co2 += row[2] == null ? 0 : wh * (Double) row[2] / 1000;
					graded++;
				}
			}
			return new Outcome(energy, energy == 0 ? 0 : inQuarter / energy, co2, waitSum / submitted.size(), waitMax, graded);
		}
		finally {
			context.close();
			deleteQuietly(home);
		}
	}

	private static void deleteQuietly(Path home) {
		try (var files = Files.walk(home)) {
			files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
		}
		catch (java.io.IOException ignored) {
			// a temporary directory
		}
	}
}
