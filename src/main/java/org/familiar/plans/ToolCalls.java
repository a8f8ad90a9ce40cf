package org.familiar.plans;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.familiar.identity.Caller;
import org.familiar.identity.PersonId;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * The tool calls apps make for a person (Familiar's MCP tools), counted per app and tool, so the
 * person sees on Apps &amp; devices what each MCP host did; the tokens a tool spent are in the
 * ledger, attributed to the app like its {@code /v1} requests.
 */
@Service
public class ToolCalls implements org.familiar.identity.PersonalData {

	private final JdbcClient jdbc;

	private final Clock clock;

	ToolCalls(JdbcClient jdbc, Clock clock) {
		this.jdbc = jdbc;
		this.clock = clock;
	}

	/** One app's calls of one tool. */
	public record Count(UUID app, String tool, long calls, long failures, Instant lastAt) {
	}

	/** Counts one call by the caller's app; a caller that is no app (the person) is not counted. */
	public void record(Caller caller, String tool, boolean failed) {
		if (caller.token() == null || caller.connected() == null) {
			return;
		}
		var app = caller.token().value();
		var now = clock.instant().atOffset(ZoneOffset.UTC);
		for (int attempt = 0; attempt < 2; attempt++) {
			int updated = jdbc.sql("""
					update app_tool_call set calls = calls + 1, failures = failures + :failed, last_at = :at
					where person_id = :person and app_id = :app and tool = :tool""")
				.param("failed", failed ? 1 : 0).param("at", now)
				.param("person", caller.person().value()).param("app", app).param("tool", tool)
				.update();
			if (updated > 0) {
				return;
			}
			try {
				jdbc.sql("insert into app_tool_call (person_id, app_id, tool, calls, failures, last_at) values (:person, :app, :tool, 1, :failed, :at)")
					.param("failed", failed ? 1 : 0).param("at", now)
					.param("person", caller.person().value()).param("app", app).param("tool", tool)
					.update();
				return;
			}
			catch (DuplicateKeyException raced) {
				// Another call made the row first: count this one on it.
			}
		}
	}

	/** The person's apps' tool calls, by app and tool. */
	public List<Count> of(PersonId person) {
		return jdbc.sql("select app_id, tool, calls, failures, last_at from app_tool_call where person_id = :person order by app_id, tool")
			.param("person", person.value())
			.query((rs, n) -> new Count(rs.getObject(1, UUID.class), rs.getString(2), rs.getLong(3), rs.getLong(4),
					rs.getObject(5, OffsetDateTime.class).toInstant()))
			.list();
	}

	@Override
	public String section() {
		return "tool_calls";
	}

	@Override
	public Object export(PersonId person) {
		return of(person);
	}

	@Override
	public void erase(PersonId person) {
		jdbc.sql("delete from app_tool_call where person_id = :person").param("person", person.value()).update();
	}
}
