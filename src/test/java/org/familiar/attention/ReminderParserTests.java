package org.familiar.attention;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneId;
import org.familiar.attention.internal.ReminderParser;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reminders as people write them, at 14:30 on Wednesday 2 December 2026 in Berlin. */
class ReminderParserTests {

	static final Instant NOW = Instant.parse("2026-12-02T13:30:00Z");

	static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', textBlock = """
			remind me at 5pm to call mum                        | call mum                    | 2026-12-02T16:00:00Z
			Remind me to call mum at 5pm.                       | call mum                    | 2026-12-02T16:00:00Z
			remind me at 17:00 to call mum                      | call mum                    | 2026-12-02T16:00:00Z
			remind me at 5 to call mum                          | call mum                    | 2026-12-02T16:00:00Z
			remind me at 9am to call the bank                   | call the bank               | 2026-12-03T08:00:00Z
			remind me tomorrow at 9:30 to send the report       | send the report             | 2026-12-03T08:30:00Z
			remind me to send the report tomorrow at 9:30       | send the report             | 2026-12-03T08:30:00Z
			remind me in 20 minutes to take the pizza out       | take the pizza out          | 2026-12-02T13:50:00Z
			Remind me in an hour to stretch                     | stretch                     | 2026-12-02T14:30:00Z
			can you remind me to water the plants tonight?      | water the plants            | 2026-12-02T19:00:00Z
			remind me tomorrow to buy milk                      | buy milk                    | 2026-12-03T08:00:00Z
			remind me at 12am to take the bins out              | take the bins out           | 2026-12-02T23:00:00Z
			""")
	void findsWhatAndWhen(String text, String what, String due) {
		var reminder = ReminderParser.parse(text, NOW, BERLIN).orElseThrow();
		assertThat(reminder.what()).isEqualTo(what);
		assertThat(reminder.due()).isEqualTo(Instant.parse(due));
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', textBlock = """
			what time is it at 5pm in Tokyo?
			remind me to call mum
			remind me at 25:00 to call mum
			remind me at 13pm to call mum
			remind me at 5pm
			""")
	void findsNoneWithoutAThingAndATime(String text) {
		assertThat(ReminderParser.parse(text, NOW, BERLIN)).isEmpty();
	}
}
