package org.familiar.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.familiar.identity.Caller;
import org.familiar.identity.IdentityManagement;
import org.familiar.plans.PlansManagement;
import org.familiar.testing.FakeModelServer;
import org.familiar.testing.PowerExporter;
import org.familiar.testing.SettableClock;
import org.familiar.testing.TestHome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Measured energy end to end: a stand-in DCGM exporter with a scripted power curve, a model
 * server whose replies the test holds and lets go, Familiar's clock stopped between scrapes so
 * that the curve's integral is known exactly, and the ledger, the metrics and the calibration
 * read back.
 */
@SpringBootTest
@Import(SettableClock.Bean.class)
class MeasuredEnergyTests {

	static FakeModelServer gpu;

	static FakeModelServer cpu;

	static PowerExporter exporter;

	@DynamicPropertySource
	static void familiar(DynamicPropertyRegistry registry) throws IOException {
		TestHome.isolate(registry);
		gpu = new FakeModelServer(0, 0, "gpu-model");
		cpu = new FakeModelServer(0, 0, "cpu-model");
		exporter = new PowerExporter();
		registry.add("familiar.backends.gpu.url", gpu::baseUrl);
		registry.add("familiar.backends.gpu.power.url", exporter::url);
		// Scraped by the test, at the instants it chooses (after the one scrape at start).
		registry.add("familiar.backends.gpu.power.interval", () -> "PT1H");
		registry.add("familiar.backends.cpu.url", cpu::baseUrl);
		registry.add("familiar.embedded.enabled", () -> "false");
	}

	@AfterAll
	static void stop() {
		gpu.close();
		cpu.close();
		exporter.close();
	}

	@Autowired
	SettableClock clock;

	@Autowired
	PowerMeters power;

	@Autowired
	IdentityManagement identity;

	@Autowired
	PlansManagement plans;

	@Autowired
	JdbcClient jdbc;

	@Autowired
	MeterRegistry registry;

	@Autowired
	ComputeManagement compute;

	@AfterEach
	void release() {
		gpu.script = request -> null;
		exporter.down = false;
		clock.release();
	}

	private Caller signUp() {
		var person = identity.addPerson("e" + UUID.randomUUID().toString().substring(0, 8), "correct horse", false, null);
		return new Caller(person.id(), person.username(), null, WorkloadClass.INTERACTIVE);
	}

	private CompletableFuture<ChatResult> ask(Caller caller, String requestId, String model, String text) {
		var request = new ChatRequest(requestId, caller.person().toString(), WorkloadClass.INTERACTIVE, model,
				List.of(ChatMessage.user(text)), 50, null, null, List.of());
		return CompletableFuture.supplyAsync(() -> plans.run(caller, request, piece -> {
		}), command -> Thread.ofVirtual().start(command));
	}

	/** A reply the stand-in sends once {@code hold} is let go: the request holds its slot until then. */
	private static java.util.function.Function<com.fasterxml.jackson.databind.JsonNode, String> heldUntil(CountDownLatch hold,
			String reply) {
		return request -> {
			try {
				hold.await(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return reply;
		};
	}

	private static String lastMessage(com.fasterxml.jackson.databind.JsonNode request) {
		var messages = request.path("messages");
		return messages.get(messages.size() - 1).path("content").asText();
	}

	/** The request's settled energy in joules, once it is marked measured. */
	private double measuredJoules(String requestId) {
		return jdbc.sql("select energy_wh from ledger_entry where request_id = :id and kind = 'settle' and energy_measured = true")
			.param("id", requestId)
			.query(Double.class)
			.optional()
			.map(wh -> wh * 3600)
			.orElse(-1.0);
	}

	@Test
	void joulesApportionedOverConcurrentRequestsAddUpToTheMeasuredEnergy() throws Exception {
		var caller = signUp();
		var letA = new CountDownLatch(1);
		var letBAndC = new CountDownLatch(1);
		gpu.script = request -> {
			var text = lastMessage(request);
			try {
				(text.startsWith("A") ? letA : letBAndC).await(30, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return "Done with " + text;
		};
		var t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);
		clock.set(t0);
		// The scripted curve: two GPUs, 300 W together at t0, 420 W at t0+3 s, 380 W at t0+5 s, 350 W at t0+6 s.
		exporter.watts(150, 150);
		power.scrape("gpu");
		var id = UUID.randomUUID().toString().substring(0, 8);
		var a = ask(caller, "m-a-" + id, "gpu-model", "A: short");
		var b = ask(caller, "m-b-" + id, "gpu-model", "B: long");
		var c = ask(caller, "m-c-" + id, "gpu-model", "C: long");
		var onCpu = ask(caller, "m-cpu-" + id, "cpu-model", "no power source here");
		await().atMost(Duration.ofSeconds(10)).until(() -> gpu.inFlight.get() == 3);

		clock.advance(Duration.ofSeconds(3));
		exporter.watts(200, 220);
		power.scrape("gpu");
		letA.countDown();
		a.get(10, TimeUnit.SECONDS);

		clock.advance(Duration.ofSeconds(2));
		exporter.watts(190, 190);
		power.scrape("gpu");
		letBAndC.countDown();
		b.get(10, TimeUnit.SECONDS);
		c.get(10, TimeUnit.SECONDS);
		onCpu.get(10, TimeUnit.SECONDS);

		clock.advance(Duration.ofSeconds(1));
		exporter.watts(175, 175);
		double idleBefore = power.measurement("gpu").idleJoules();
		power.scrape("gpu");

		// The curve's integral while anything ran: (300 + 420) / 2 × 3 s + (420 + 380) / 2 × 2 s.
		double measured = (300 + 420) / 2.0 * 3 + (420 + 380) / 2.0 * 2;
		await().atMost(Duration.ofSeconds(10))
			.until(() -> measuredJoules("m-a-" + id) >= 0 && measuredJoules("m-b-" + id) >= 0 && measuredJoules("m-c-" + id) >= 0);
		double apportioned = measuredJoules("m-a-" + id) + measuredJoules("m-b-" + id) + measuredJoules("m-c-" + id);
		assertThat(apportioned).as("the requests' joules add up to what the source measured").isCloseTo(measured, within(measured / 100));
		// By slot time: all three held a slot for the first 3 s, only B and C for the next 2 s.
		assertThat(measuredJoules("m-a-" + id)).isCloseTo(1080 / 3.0, within(1.0));
		assertThat(measuredJoules("m-b-" + id)).isCloseTo(1080 / 3.0 + 400, within(1.0));
		// The last second nobody ran: idle power, given to nobody.
		assertThat(power.measurement("gpu").idleJoules() - idleBefore).isCloseTo((380 + 350) / 2.0, within(0.01));

		// The backend without a source keeps its estimate; the person's hourly buckets follow the entries.
		await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.sql("select count(*) from ledger_entry where request_id = :id")
			.param("id", "m-cpu-" + id).query(Long.class).single() == 1);
		assertThat(measuredJoules("m-cpu-" + id)).isEqualTo(-1.0);
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(jdbc
			.sql("select sum(energy_wh) from usage_bucket where person_id = :p")
			.param("p", caller.person().value())
			.query(Double.class)
			.single()).isCloseTo(jdbc.sql("select sum(energy_wh) from ledger_entry where person_id = :p and kind = 'settle'")
				.param("p", caller.person().value())
				.query(Double.class)
				.single(), within(1e-9)));
		var energy = plans.energy(caller.person(), List.of("m-a-" + id, "m-cpu-" + id));
		assertThat(energy.get("m-a-" + id).measured()).isTrue();
		assertThat(energy.get("m-cpu-" + id).measured()).isFalse();
		assertThat(energy.get("m-cpu-" + id).co2Grams()).as("no grid forecast, no grams").isNull();

		// Prometheus: measured joules by backend and class, estimated for the other.
		assertThat(registry.find("familiar.energy.used").tags("backend", "gpu", "basis", "measured").counter().count())
			.isGreaterThanOrEqualTo(measured * 0.99);
		assertThat(registry.find("familiar.energy.person").tags("person", caller.person().toString(), "basis", "measured")
			.counter()
			.count()).isCloseTo(apportioned, within(0.01));
		assertThat(registry.find("familiar.power.watts").tags("backend", "gpu").gauge().value()).isEqualTo(350);
	}

	@Test
	void aRequestTheSourceDidNotSeeWholeKeepsItsEstimate() throws Exception {
		var caller = signUp();
		var t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);
		clock.set(t0);
		exporter.watts(100, 100);
		power.scrape("gpu");
		var id = UUID.randomUUID().toString().substring(0, 8);
		// The exporter restarts while the request runs: scrapes fail, and the next reading comes over three intervals later.
		exporter.down = true;
		var hold = new CountDownLatch(1);
		gpu.script = heldUntil(hold, "Measured? No.");
		var reply = ask(caller, "m-down-" + id, "gpu-model", "while the exporter is down");
		await().atMost(Duration.ofSeconds(10)).until(() -> gpu.inFlight.get() == 1);
		clock.advance(Duration.ofMinutes(30));
		hold.countDown();
		reply.get(10, TimeUnit.SECONDS);
		clock.advance(Duration.ofHours(4));
		power.scrape("gpu");
		assertThat(power.measurement("gpu").problem()).contains("503");
		exporter.down = false;
		power.scrape("gpu");
		await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.sql("select count(*) from ledger_entry where request_id = :id")
			.param("id", "m-down-" + id).query(Long.class).single() == 1);
		assertThat(measuredJoules("m-down-" + id)).as("never measured: the estimate stands").isEqualTo(-1.0);
		assertThat(power.measurement("gpu").problem()).isNull();
	}

	@Test
	void theEstimateIsCalibratedFromMeasurements() throws Exception {
		var caller = signUp();
		clock.set(Instant.now().truncatedTo(ChronoUnit.SECONDS));
		exporter.watts(500, 500);
		power.scrape("gpu");
		var before = power.measurement("gpu");
		for (int i = 0; i < PowerMeters.CALIBRATION_REQUESTS; i++) {
			// Each holds its slot for one second of Familiar's clock, at 1 kW.
			var hold = new CountDownLatch(1);
			gpu.script = heldUntil(hold, "Calibrating, a reply of a few tokens.");
			var reply = ask(caller, "cal-" + i + "-" + UUID.randomUUID(), "gpu-model", "calibrate " + i);
			await().atMost(Duration.ofSeconds(10)).until(() -> gpu.inFlight.get() == 1);
			clock.advance(Duration.ofSeconds(1));
			hold.countDown();
			reply.get(10, TimeUnit.SECONDS);
			power.scrape("gpu");
		}
		var after = power.measurement("gpu");
		assertThat(after.measuredRequests() - before.measuredRequests()).isEqualTo(PowerMeters.CALIBRATION_REQUESTS);
		assertThat(after.measuredJoules() - before.measuredJoules()).as("1 kW for 10 s").isCloseTo(10_000, within(1.0));
		double factor = after.calibration();
		assertThat(factor).as("1 kJ a request against the default 2 J a token: far more than estimated").isGreaterThan(10);
		var shown = compute.energy().stream().filter(e -> e.backend().equals("gpu")).findFirst().orElseThrow();
		assertThat(shown.calibration()).isEqualTo(factor);
		assertThat(compute.energy().stream().filter(e -> e.backend().equals("cpu")).findFirst().orElseThrow().measured()).isNull();

		// With the source down, a request is estimated, and the estimate is the calibrated one.
		gpu.script = request -> null;
		exporter.down = true;
		var id = "cal-estimate-" + UUID.randomUUID();
		var result = ask(caller, id, "gpu-model", "estimate me").get(10, TimeUnit.SECONDS);
		double configured = (result.usage().promptTokens() * 0.2 + result.usage().completionTokens() * 2.0) / 3600;
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(jdbc
			.sql("select energy_wh from ledger_entry where request_id = :id and kind = 'settle'")
			.param("id", id)
			.query(Double.class)
			.single()).isCloseTo(configured * power.calibration("gpu"), within(1e-9)));
	}
}
