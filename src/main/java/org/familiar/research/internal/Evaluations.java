package org.familiar.research.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.familiar.research.Suite;
import org.familiar.research.SuiteItem;
import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** Suites, runs and results in the database. */
@Repository
public class Evaluations {

	private final JdbcClient jdbc;

	private final ObjectMapper json;

	Evaluations(JdbcClient jdbc, ObjectMapper json) {
		this.jdbc = jdbc;
		this.json = json;
	}

	public record StoredSuite(UUID id, @Nullable UUID owner, String name, boolean heldOut, String canary, int items,
			Instant createdAt) {
	}

	public record Run(UUID id, UUID suite, @Nullable UUID owner, String model, String graderModel, int concurrency, String status, int items,
			Instant createdAt, @Nullable Instant finishedAt) {
	}

	public record Result(String itemId, @Nullable String reply, boolean correct, int promptTokens, int completionTokens,
			double energyWh, long latencyMs, @Nullable String error) {
	}

	public void addSuite(StoredSuite suite, Suite items) {
		jdbc.sql("""
				insert into eval_suite (id, owner_id, name, held_out, canary, items, created_at)
				values (:id, :owner, :name, :heldOut, :canary, :items, :at)""")
			.param("id", suite.id())
			.param("owner", suite.owner())
			.param("name", suite.name())
			.param("heldOut", suite.heldOut())
			.param("canary", suite.canary())
			.param("items", suite.items())
			.param("at", utc(suite.createdAt()))
			.update();
		int seq = 0;
		for (var item : items.items()) {
			jdbc.sql("insert into eval_item (suite_id, seq, item_id, body) values (:suite, :seq, :item, :body)")
				.param("suite", suite.id())
				.param("seq", seq++)
				.param("item", item.id())
				.param("body", write(item))
				.update();
		}
	}

	public List<StoredSuite> suitesOf(UUID owner) {
		return jdbc.sql("select * from eval_suite where owner_id = :owner order by created_at desc")
			.param("owner", owner)
			.query((rs, n) -> new StoredSuite(rs.getObject("id", UUID.class), rs.getObject("owner_id", UUID.class),
					rs.getString("name"), rs.getBoolean("held_out"), rs.getString("canary"), rs.getInt("items"),
					rs.getObject("created_at", OffsetDateTime.class).toInstant()))
			.list();
	}

	public List<Run> runsOf(UUID owner) {
		return jdbc.sql("select * from eval_run where owner_id = :owner order by created_at desc")
			.param("owner", owner)
			.query(Evaluations::run)
			.list();
	}

	public Optional<StoredSuite> suite(UUID id) {
		return jdbc.sql("select * from eval_suite where id = :id")
			.param("id", id)
			.query((rs, n) -> new StoredSuite(rs.getObject("id", UUID.class), rs.getObject("owner_id", UUID.class),
					rs.getString("name"), rs.getBoolean("held_out"), rs.getString("canary"), rs.getInt("items"),
					rs.getObject("created_at", OffsetDateTime.class).toInstant()))
			.optional();
	}

	public List<SuiteItem> items(UUID suite) {
		return jdbc.sql("select body from eval_item where suite_id = :suite order by seq")
			.param("suite", suite)
			.query(String.class)
			.list()
			.stream()
			.map(this::read)
			.toList();
	}

	/** Records a new run, run by the replica {@code node}. */
	public void addRun(Run run, String node) {
		jdbc.sql("""
				insert into eval_run (id, suite_id, owner_id, model, grader_model, concurrency, status, items, created_at, node)
				values (:id, :suite, :owner, :model, :grader, :concurrency, :status, :items, :at, :node)""")
			.param("node", node)
			.param("grader", run.graderModel())
			.param("id", run.id())
			.param("suite", run.suite())
			.param("owner", run.owner())
			.param("model", run.model())
			.param("concurrency", run.concurrency())
			.param("status", run.status())
			.param("items", run.items())
			.param("at", utc(run.createdAt()))
			.update();
	}

	public Optional<Run> run(UUID id) {
		return jdbc.sql("select * from eval_run where id = :id").param("id", id).query(Evaluations::run).optional();
	}

	public List<Run> runsIn(String status) {
		return jdbc.sql("select * from eval_run where status = :status").param("status", status).query(Evaluations::run).list();
	}

	/** Running runs with the replica that runs them (null for a run from before replicas were recorded). */
	public java.util.Map<UUID, Optional<String>> runningWhere() {
		var where = new java.util.LinkedHashMap<UUID, Optional<String>>();
		jdbc.sql("select id, node from eval_run where status = 'running' order by created_at")
			.query(rs -> {
				where.put(rs.getObject(1, UUID.class), Optional.ofNullable(rs.getString(2)));
			});
		return where;
	}

	/**
	 * Moves a running run from replica {@code from} (null: none recorded) to {@code to}; of
	 * replicas claiming the same run at once, one succeeds.
	 * @return whether this call moved it
	 */
	public boolean claim(UUID run, @Nullable String from, String to) {
		return jdbc.sql("""
				update eval_run set node = :to
				where id = :id and status = 'running' and (node = :from or (node is null and :none))""")
			.param("to", to)
			.param("id", run)
			.param("from", from == null ? "" : from)
			.param("none", from == null)
			.update() == 1;
	}

	/** Ends a running run; a run already ended (cancelled, say) keeps its status. */
	public boolean finish(UUID run, String status, Instant at) {
		return jdbc.sql("update eval_run set status = :status, finished_at = :at where id = :id and status = 'running'")
			.param("status", status)
			.param("at", utc(at))
			.param("id", run)
			.update() == 1;
	}

	/** Items graded, correct and failed so far, counted in the database. */
	public record Tally(int graded, int correct, int failed) {
	}

	public Tally tally(UUID run) {
		return jdbc.sql("""
				select count(*) as graded, coalesce(sum(case when correct then 1 else 0 end), 0) as correct, count(error) as failed
				from eval_result where run_id = :run""")
			.param("run", run)
			.query((rs, n) -> new Tally(rs.getInt("graded"), rs.getInt("correct"), rs.getInt("failed")))
			.single();
	}

	/** Deletes a suite with its items, runs and results. */
	public void deleteSuite(UUID suite) {
		jdbc.sql("delete from eval_suite where id = :id").param("id", suite).update();
	}

	/** Deletes all of a person's suites and runs. */
	public void erase(UUID owner) {
		jdbc.sql("delete from eval_run where owner_id = :owner").param("owner", owner).update();
		jdbc.sql("delete from eval_suite where owner_id = :owner").param("owner", owner).update();
	}

	/** Records an item's result once: a second result for the same item is ignored. */
	public boolean record(UUID run, Result result, Instant at) {
		return record(run, result, at, null);
	}

	/** Records an item's result once, with the grid's carbon intensity (gCO₂/kWh) then, if known. */
	public boolean record(UUID run, Result result, Instant at, @Nullable Double gridIntensity) {
		return jdbc.sql("""
				insert into eval_result (run_id, item_id, reply, correct, prompt_tokens, completion_tokens, energy_wh, latency_ms, error,
				  graded_at, grid_g_per_kwh)
				values (:run, :item, :reply, :correct, :prompt, :completion, :energy, :latency, :error, :at, :grid)
				on conflict do nothing""")
			.param("grid", gridIntensity)
			.param("run", run)
			.param("item", result.itemId())
			.param("reply", result.reply())
			.param("correct", result.correct())
			.param("prompt", result.promptTokens())
			.param("completion", result.completionTokens())
			.param("energy", result.energyWh())
			.param("latency", result.latencyMs())
			.param("error", result.error() == null ? null : result.error().substring(0, Math.min(1000, result.error().length())))
			.param("at", utc(at))
			.update() == 1;
	}

	public Set<String> graded(UUID run) {
		return Set.copyOf(jdbc.sql("select item_id from eval_result where run_id = :run").param("run", run).query(String.class).list());
	}

	public List<Result> results(UUID run) {
		return jdbc.sql("select * from eval_result where run_id = :run order by graded_at, item_id")
			.param("run", run)
			.query((rs, n) -> new Result(rs.getString("item_id"), rs.getString("reply"), rs.getBoolean("correct"),
					rs.getInt("prompt_tokens"), rs.getInt("completion_tokens"), rs.getDouble("energy_wh"),
					rs.getLong("latency_ms"), rs.getString("error")))
			.list();
	}

	private String write(SuiteItem item) {
		try {
			return json.writeValueAsString(item);
		}
		catch (JsonProcessingException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private SuiteItem read(String body) {
		try {
			return json.readValue(body, SuiteItem.class);
		}
		catch (JsonProcessingException ex) {
			throw new IllegalStateException("A stored item is damaged: " + ex.getOriginalMessage(), ex);
		}
	}

	private static Run run(java.sql.ResultSet rs, int n) throws java.sql.SQLException {
		var finished = rs.getObject("finished_at", OffsetDateTime.class);
		return new Run(rs.getObject("id", UUID.class), rs.getObject("suite_id", UUID.class), rs.getObject("owner_id", UUID.class),
				rs.getString("model"), rs.getString("grader_model"), rs.getInt("concurrency"), rs.getString("status"), rs.getInt("items"),
				rs.getObject("created_at", OffsetDateTime.class).toInstant(), finished == null ? null : finished.toInstant());
	}

	private static OffsetDateTime utc(Instant instant) {
		return instant.atOffset(ZoneOffset.UTC);
	}

	/** Grams of CO₂ of the run's items graded where the grid's intensity was known, or {@code null} if it never was. */
	public @Nullable Double co2Grams(UUID run) {
		return jdbc.sql("select sum(energy_wh * grid_g_per_kwh) / 1000 from eval_result where run_id = :run and grid_g_per_kwh is not null")
			.param("run", run)
			.query(Double.class)
			.optional()
			.orElse(null);
	}

	/** Adds the difference between an item's measured and estimated energy to its result. */
	public void correctEnergy(UUID run, String item, double deltaWh) {
		jdbc.sql("update eval_result set energy_wh = energy_wh + :delta, energy_measured = true where run_id = :run and item_id = :item")
			.param("delta", deltaWh)
			.param("run", run)
			.param("item", item)
			.update();
	}
}
