package org.familiar.research;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.familiar.compute.ChatMessage;
import org.familiar.compute.ChatRequest;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Caller;
import org.familiar.identity.IdentityManagement;
import org.familiar.plans.PlansManagement;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.SettableClock;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Research waits for clean hours, and chat never does: a scripted grid forecast in a file, and
 * Familiar's clock set to the hours the test needs.
 */
@SpringBootTest
@Import(SettableClock.Bean.class)
class CleanHoursTests {

	static FakeModelServer backend;

	static Path grid;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		backend = FakeModelServer.serve(registry, "fake", 0);
		grid = Files.createTempFile("grid", ".json");
		Files.writeString(grid, "{\"hours\": []}");
		registry.add("familiar.embedded.enabled", () -> "false");
		registry.add("familiar.energy.grid-file", grid::toString);
		registry.add("familiar.energy.policies.research.cleanest-hours", () -> "1");
		registry.add("familiar.energy.policies.research.deadline", () -> "PT6H");
		registry.add("familiar.energy.policies.batch.budget-wh-per-day", () -> "0.001");
	}

	@AfterAll
	static void stop() throws IOException {
		backend.close();
		Files.deleteIfExists(grid);
	}

	@Autowired
	SettableClock clock;

	@Autowired
	ComputeManagement compute;

	@Autowired
	ResearchManagement research;

	@Autowired
	PlansManagement plans;

	@Autowired
	IdentityManagement identity;

	@Autowired
	MeterRegistry registry;

	@AfterEach
	void release() {
		clock.release();
	}

	static final String SUITE = IntStream.rangeClosed(1, 3)
		.mapToObj(n -> "{\"id\": \"q-" + n + "\", \"input\": \"Say " + n + "\", \"target\": \"" + n + "\", \"grader\": \"includes\"}")
		.collect(Collectors.joining("\n"));

	/** Writes a day's forecast from {@code start}, hour by hour, and has Familiar read it. */
	private void forecast(Instant start, IntToDoubleFunction carbon) throws IOException {
		var hours = IntStream.range(0, 24)
			.mapToObj(h -> "{\"start\": \"" + start.plus(Duration.ofHours(h)) + "\", \"carbon\": " + carbon.applyAsDouble(h) + "}")
			.collect(Collectors.joining(",\n"));
		Files.writeString(grid, "{\"hours\": [" + hours + "]}");
		compute.reconsiderEnergyWindows();
	}

	private Caller person(WorkloadClass workload) {
		var person = identity.addPerson("c" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		return new Caller(person.id(), person.username(), null, workload);
	}

	private CompletableFuture<org.familiar.compute.ChatResult> chat(Caller caller, String requestId) {
		var request = new ChatRequest(requestId, caller.person().toString(), caller.workload(), FakeModelServer.MODEL,
				List.of(ChatMessage.user("Hello there")), 20, null, null, List.of());
		return CompletableFuture.supplyAsync(() -> plans.run(caller, request, text -> {
		}), command -> Thread.ofVirtual().start(command));
	}

	private ComputeManagement.HeldWork held(UUID run) {
		return compute.heldForEnergy().stream().filter(h -> h.what().equals("evaluation run " + run)).findFirst().orElse(null);
	}

	private double starts(String by) {
		var counter = registry.find("familiar.energy.held.starts").tags("workload", "research", "by", by).counter();
		return counter == null ? 0 : counter.count();
	}

	@Test
	void researchWaitsForItsCleanHourWhileChatDoesNot() throws Exception {
		var hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
		clock.set(hour.plus(Duration.ofMinutes(10)));
		// 500 gCO₂/kWh all day but for 100 three hours from now.
		forecast(hour, h -> h == 3 ? 100 : 500);
		var suite = research.upload(null, "clean-" + UUID.randomUUID(), new StringReader(SUITE), false);
		int before = backend.completions.get();
		double inWindow = starts("window");
		var run = research.start(null, suite, FakeModelServer.MODEL, null, 2);

		await().atMost(Duration.ofSeconds(10)).until(() -> held(run) != null);
		var waiting = held(run);
		assertThat(waiting.expectedStart()).isEqualTo(hour.plus(Duration.ofHours(3)));
		assertThat(waiting.reason()).contains(DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC)
			.format(hour.plus(Duration.ofHours(3))));
		assertThat(research.progress(run).graded()).isZero();

		// Chat meanwhile: not held, answered at once, with its grams of CO₂ at this hour's intensity.
		var chatter = person(WorkloadClass.INTERACTIVE);
		var id = "clean-chat-" + UUID.randomUUID();
		chat(chatter, id).get(10, TimeUnit.SECONDS);
		assertThat(backend.completions.get()).isEqualTo(before + 1);
		assertThat(compute.heldForEnergy()).extracting(ComputeManagement.HeldWork::workload).containsOnly(WorkloadClass.RESEARCH);
		await().atMost(Duration.ofSeconds(10)).until(() -> plans.energy(chatter.person(), List.of(id)).containsKey(id));
		var energy = plans.energy(chatter.person(), List.of(id)).get(id);
		assertThat(energy.co2Grams()).isCloseTo(energy.wattHours() * 500 / 1000, within(1e-12));
		assertThat(energy.label()).contains("Wh").contains("g CO₂");

		// The clean hour comes.
		clock.set(hour.plus(Duration.ofHours(3)).plus(Duration.ofMinutes(1)));
		compute.reconsiderEnergyWindows();
		research.await(run);
		var summary = research.summary(run);
		assertThat(summary.status()).isEqualTo("done");
		assertThat(summary.graded()).isEqualTo(3);
		assertThat(summary.co2Grams()).as("graded at 100 gCO₂/kWh").isCloseTo(summary.energyWh() * 100 / 1000, within(1e-9));
		assertThat(starts("window")).isEqualTo(inWindow + 1);
		assertThat(held(run)).isNull();
	}

	@Test
	void researchStartsByItsDeadlineWhenNoCleanHourComesInTime() throws Exception {
		var hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
		var asked = hour.plus(Duration.ofMinutes(20));
		clock.set(asked);
		// The one clean hour is 20 hours away, past the six-hour deadline.
		forecast(hour, h -> h == 20 ? 100 : 500);
		var suite = research.upload(null, "deadline-" + UUID.randomUUID(), new StringReader(SUITE), false);
		double byDeadline = starts("deadline");
		var run = research.start(null, suite, FakeModelServer.MODEL, null, 2);
		await().atMost(Duration.ofSeconds(10)).until(() -> held(run) != null);
		assertThat(held(run).expectedStart()).isEqualTo(asked.plus(Duration.ofHours(6)));
		assertThat(held(run).reason()).contains("deadline");

		clock.advance(Duration.ofHours(5));
		compute.reconsiderEnergyWindows();
		assertThat(compute.energyWindow(WorkloadClass.RESEARCH, asked).start()).isFalse();
		assertThat(research.progress(run).graded()).as("still before its deadline").isZero();

		clock.advance(Duration.ofHours(1));
		compute.reconsiderEnergyWindows();
		research.await(run);
		assertThat(research.summary(run).graded()).isEqualTo(3);
		assertThat(starts("deadline")).isEqualTo(byDeadline + 1);
	}

	@Test
	void aSpentDailyBudgetHoldsBatchWorkButNotChat() throws Exception {
		var hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
		clock.set(hour.plus(Duration.ofMinutes(5)));
		var worker = person(WorkloadClass.BATCH);
		chat(worker, "budget-" + UUID.randomUUID()).get(10, TimeUnit.SECONDS);
		var decision = compute.energyWindow(WorkloadClass.BATCH, clock.instant());
		assertThat(decision.start()).isFalse();
		assertThat(decision.reason()).contains("of its 0.0 Wh").contains("day turns");
		assertThat(decision.expectedStart()).isEqualTo(clock.instant().atZone(ZoneOffset.UTC).toLocalDate().plusDays(1)
			.atStartOfDay(ZoneOffset.UTC).toInstant());
		assertThat(compute.energyWindow(WorkloadClass.INTERACTIVE, clock.instant()).start()).isTrue();
		var chatter = person(WorkloadClass.INTERACTIVE);
		chat(chatter, "budget-chat-" + UUID.randomUUID()).get(10, TimeUnit.SECONDS);
		// The next day the budget is whole again.
		clock.set(decision.expectedStart().plus(Duration.ofMinutes(1)));
		assertThat(compute.energyWindow(WorkloadClass.BATCH, clock.instant()).start()).isTrue();
	}
}
