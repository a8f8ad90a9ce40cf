package org.familiar.compute;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * The grid's hourly forecast of carbon intensity and price, from {@code familiar.energy.grid-file}
 * or {@code familiar.energy.grid-url}, read again every {@code grid-refresh}. The shape:
 * <pre>{"hours": [{"start": "2026-12-06T00:00:00Z", "carbon": 312, "price": 0.21}, …]}</pre>
 * ({@code carbon} in gCO₂/kWh, {@code price} per kWh; either may be left out). A feed that cannot be
 * read keeps the last forecast it gave and says why on the Capacity page.
 */
@Component
class GridSignal {

	private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GridSignal.class);

	private final EnergySettings settings;

	private final ObjectMapper json;

	private final Clock clock;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private volatile List<GridHour> hours = List.of();

	private volatile @Nullable Instant readAt;

	private volatile @Nullable String problem;

	GridSignal(EnergySettings settings, ObjectMapper json, Clock clock) {
		this.settings = settings;
		this.json = json;
		this.clock = clock;
	}

	boolean configured() {
		return settings.gridFile() != null || settings.gridUrl() != null;
	}

	/** Where the forecast comes from, for the pages. */
	String source() {
		return settings.gridFile() != null ? settings.gridFile().toString()
				: settings.gridUrl() != null ? settings.gridUrl().toString() : "";
	}

	private final java.util.concurrent.atomic.AtomicBoolean refreshing = new java.util.concurrent.atomic.AtomicBoolean();

	/**
	 * The forecast. The first call reads it; after that, one older than {@code grid-refresh} is read
	 * again on a thread of its own, so that no request waits on a slow feed (this is called as
	 * every request is settled, for its grams of CO₂).
	 */
	List<GridHour> forecast() {
		var at = readAt;
		if (!configured()) {
			return hours;
		}
		if (at == null) {
			refresh();
		}
		else if (!clock.instant().isBefore(at.plus(settings.gridRefresh())) && refreshing.compareAndSet(false, true)) {
			Thread.ofVirtual().name("grid-refresh").start(() -> {
				try {
					refresh();
				}
				finally {
					refreshing.set(false);
				}
			});
		}
		return hours;
	}

	@Nullable String problem() {
		return problem;
	}

	/** Reads the file or the feed now. */
	synchronized void refresh() {
		readAt = clock.instant();
		try {
			String body;
			if (settings.gridFile() != null) {
				body = Files.readString(settings.gridFile());
			}
			else {
				var response = http.send(HttpRequest.newBuilder(settings.gridUrl()).timeout(Duration.ofSeconds(10)).GET().build(),
						HttpResponse.BodyHandlers.ofString());
				if (response.statusCode() != 200) {
					throw new IllegalArgumentException("it answered " + response.statusCode());
				}
				body = response.body();
			}
			hours = parse(json.readTree(body));
			problem = null;
		}
		catch (Exception ex) {
			if (ex instanceof InterruptedException) {
				Thread.currentThread().interrupt();
			}
			var why = "Cannot read the grid forecast from " + source() + ": " + ex.getMessage();
			if (!why.equals(problem)) {
				log.warn("{}; keeping the last forecast ({} hours)", why, hours.size());
			}
			problem = why;
		}
	}

	static List<GridHour> parse(JsonNode document) {
		var list = document.path("hours");
		if (!list.isArray()) {
			throw new IllegalArgumentException("it has no \"hours\" list");
		}
		var result = new ArrayList<GridHour>();
		for (var hour : list) {
			var start = Instant.parse(hour.path("start").asText());
			result.add(new GridHour(start, number(hour, "carbon"), number(hour, "price")));
		}
		result.sort(Comparator.comparing(GridHour::start));
		return List.copyOf(result);
	}

	private static @Nullable Double number(JsonNode hour, String field) {
		var value = hour.get(field);
		if (value == null || value.isNull()) {
			return null;
		}
		if (!value.isNumber()) {
			throw new IllegalArgumentException("\"" + field + "\" of the hour at " + hour.path("start").asText() + " is not a number");
		}
		return value.asDouble();
	}
}
