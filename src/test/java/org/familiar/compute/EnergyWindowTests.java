package org.familiar.compute;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The energy policy as a pure function: a scripted day's forecast, a fixed clock. */
class EnergyWindowTests {

	static final Instant MIDNIGHT = Instant.parse("2026-12-07T00:00:00Z");

	/** A winter day: dirty overnight and in the evening, clean from 05:00 to 08:00 (wind) and around noon (sun). */
	static final double[] CARBON = { 400, 380, 360, 300, 250, 200, 180, 190, 220, 260, 300, 240, 230, 245, 400, 410, 420, 430,
			440, 450, 460, 450, 430, 410 };

	static List<GridHour> day() {
		var hours = new ArrayList<GridHour>();
		for (int h = 0; h < 24; h++) {
			hours.add(new GridHour(MIDNIGHT.plus(Duration.ofHours(h)), CARBON[h], 0.10 + h / 100.0));
		}
		return hours;
	}

	static EnergySettings.Policy cleanest(int hours, Duration deadline) {
		return new EnergySettings.Policy(null, null, hours, "carbon", Duration.ofHours(24), deadline, null);
	}

	static EnergyWindow.Decision at(EnergySettings.Policy policy, Instant submitted, Instant now) {
		return EnergyWindow.decide(policy, day(), submitted, now, 0, MIDNIGHT.plus(Duration.ofDays(1)), ZoneOffset.UTC);
	}

	@Test
	void workWaitsForTheCleanestHoursOfTheDay() {
		var policy = cleanest(4, Duration.ofHours(12));
		var submitted = MIDNIGHT.plus(Duration.ofMinutes(10));
		var held = at(policy, submitted, submitted);
		assertThat(held.start()).isFalse();
		assertThat(held.expectedStart()).isEqualTo(MIDNIGHT.plus(Duration.ofHours(5)));
		assertThat(held.reason()).contains("05:00").contains("200 gCO₂/kWh").contains("12:10");
		assertThat(at(policy, submitted, MIDNIGHT.plusSeconds(4 * 3600 + 3599)).start()).isFalse();
		assertThat(at(policy, submitted, MIDNIGHT.plus(Duration.ofHours(5))).start()).isTrue();
		assertThat(at(policy, submitted, MIDNIGHT.plus(Duration.ofMinutes(8 * 60 + 59))).start()).as("08:00 is the fourth").isTrue();
		assertThat(at(policy, submitted, MIDNIGHT.plus(Duration.ofHours(9))).start()).as("09:00 is not").isFalse();
		// The cleanest four are fixed when it was asked for: a later hour does not push them away.
		assertThat(EnergyWindow.cleanest(policy, day(), submitted)).extracting(GridHour::carbon).containsExactly(180.0, 190.0,
				200.0, 220.0);
	}

	@Test
	void theDeadlineWinsOverTheWindow() {
		var policy = cleanest(1, Duration.ofHours(3));
		var submitted = MIDNIGHT.plus(Duration.ofMinutes(30));
		var held = at(policy, submitted, submitted);
		assertThat(held.start()).isFalse();
		assertThat(held.expectedStart()).as("06:00 is after the deadline").isEqualTo(submitted.plus(Duration.ofHours(3)));
		assertThat(held.reason()).contains("deadline").contains("03:30");
		var late = at(policy, submitted, submitted.plus(Duration.ofHours(3)));
		assertThat(late.start()).isTrue();
		assertThat(late.reason()).contains("deadline");
	}

	@Test
	void belowALimitStartsAtOnceInAnyCleanHour() {
		var policy = new EnergySettings.Policy(245.0, null, null, "carbon", Duration.ofHours(24), Duration.ofHours(24), null);
		var submitted = MIDNIGHT.plus(Duration.ofMinutes(5));
		assertThat(at(policy, submitted, submitted).expectedStart()).isEqualTo(MIDNIGHT.plus(Duration.ofHours(5)));
		assertThat(at(policy, submitted, MIDNIGHT.plus(Duration.ofHours(12))).start()).as("230 at noon").isTrue();
		assertThat(at(policy, submitted, MIDNIGHT.plus(Duration.ofHours(13))).start()).as("245 is not below 245").isFalse();
		var cheap = new EnergySettings.Policy(null, 0.12, null, "price", Duration.ofHours(24), Duration.ofHours(24), null);
		assertThat(at(cheap, submitted, submitted).start()).as("0.10 at midnight").isTrue();
		assertThat(at(cheap, submitted, MIDNIGHT.plus(Duration.ofHours(3))).start()).isFalse();
	}

	@Test
	void theCheapestHoursRankByPrice() {
		var policy = new EnergySettings.Policy(null, null, 2, "price", Duration.ofHours(24), Duration.ofHours(24), null);
		var submitted = MIDNIGHT.plus(Duration.ofHours(1));
		// Prices rise through the day: the cheapest two from the hour it came in are 01:00 and 02:00.
		assertThat(at(policy, submitted, submitted).start()).isTrue();
		assertThat(at(policy, submitted, MIDNIGHT.plus(Duration.ofMinutes(2 * 60 + 59))).start()).isTrue();
		assertThat(at(policy, submitted, MIDNIGHT.plus(Duration.ofHours(3))).start()).isFalse();
	}

	@Test
	void aSpentBudgetHoldsUntilTheDayTurnsDeadlineOrNot() {
		var policy = new EnergySettings.Policy(null, null, null, "carbon", Duration.ofHours(24), Duration.ZERO, 500.0);
		var now = MIDNIGHT.plus(Duration.ofHours(15));
		var nextDay = MIDNIGHT.plus(Duration.ofDays(1));
		var spent = EnergyWindow.decide(policy, day(), now, now, 500, nextDay, ZoneOffset.UTC);
		assertThat(spent.start()).isFalse();
		assertThat(spent.expectedStart()).isEqualTo(nextDay);
		assertThat(spent.reason()).contains("500.0 Wh").contains("00:00");
		assertThat(EnergyWindow.decide(policy, day(), now, now, 499.9, nextDay, ZoneOffset.UTC).start()).isTrue();
	}

	@Test
	void withoutAForecastWorkIsNotHeld() {
		var policy = cleanest(2, Duration.ofHours(12));
		var decision = EnergyWindow.decide(policy, List.of(), MIDNIGHT, MIDNIGHT, 0, MIDNIGHT.plus(Duration.ofDays(1)),
				ZoneOffset.UTC);
		assertThat(decision.start()).isTrue();
		assertThat(decision.reason()).contains("forecast");
		assertThat(EnergyWindow.carbonAt(day(), MIDNIGHT.plus(Duration.ofMinutes(6 * 60 + 30)))).isEqualTo(180.0);
		assertThat(EnergyWindow.carbonAt(day(), MIDNIGHT.minusSeconds(1))).isNull();
	}

	@Test
	void interactiveAndAppTrafficCannotBeGivenAPolicy() {
		var policy = cleanest(2, Duration.ofHours(12));
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> new EnergySettings(null, null, Duration.ofMinutes(15),
				ZoneOffset.UTC, java.util.Map.of("interactive", policy), true))
			.hasMessageContaining("never");
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> new EnergySettings(null, null, Duration.ofMinutes(15),
				ZoneOffset.UTC, java.util.Map.of("research", new EnergySettings.Policy(null, null, 2, "colour",
						Duration.ofHours(24), Duration.ofHours(12), null)), true))
			.hasMessageContaining("rank-by");
	}

	@Test
	void theForecastShapeIsRead() throws Exception {
		var json = new com.fasterxml.jackson.databind.ObjectMapper();
		var hours = GridSignal.parse(json.readTree("""
				{"zone": "DE", "hours": [
				  {"start": "2026-12-07T01:00:00Z", "carbon": 300.5},
				  {"start": "2026-12-07T00:00:00Z", "carbon": 310, "price": 0.2}]}"""));
		assertThat(hours).extracting(GridHour::start).containsExactly(MIDNIGHT, MIDNIGHT.plus(Duration.ofHours(1)));
		assertThat(hours.get(1).price()).isNull();
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> GridSignal.parse(json.readTree("{\"hours\":[{\"start\":"
				+ "\"2026-12-07T00:00:00Z\",\"carbon\":\"high\"}]}"))).hasMessageContaining("carbon");
		org.assertj.core.api.Assertions.assertThatThrownBy(() -> GridSignal.parse(json.readTree("[]")))
			.hasMessageContaining("hours");
	}

	@Test
	void onlyTheNamedSeriesAreSummed() {
		var text = """
				# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).
				# TYPE DCGM_FI_DEV_POWER_USAGE gauge
				DCGM_FI_DEV_POWER_USAGE{gpu="0",note="a } inside"} 250.5
				DCGM_FI_DEV_POWER_USAGE{gpu="1",note="quote \\" too"} 249.5 1733529600000
				DCGM_FI_DEV_POWER_USAGE_INSTANT{gpu="0"} 9999
				node_rapl_package_joules_total 12.5
				node_rapl_package_joules_total{index="1"} NaN
				""";
		assertThat(PrometheusText.sum(text, "DCGM_FI_DEV_POWER_USAGE")).isEqualTo(500.0);
		assertThat(PrometheusText.sum(text, "node_rapl_package_joules_total")).isEqualTo(12.5);
		assertThat(PrometheusText.sum(text, "DCGM_FI_DEV_GPU_TEMP")).isNull();
	}
}
