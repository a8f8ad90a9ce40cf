package example.device;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * A device for Familiar on the command line: it links with a code (the device flow), says who it
 * belongs to, reports its context, prints what Familiar decides to show on it and acknowledges
 * each. It keeps its refresh token in a file, so it stays linked across restarts.
 *
 * <pre>
 * java -jar familiar-device.jar --familiar=http://localhost:8080 --client-id=fam-app-… \
 *     --name="Kitchen speaker" --kind=speaker --context=activity=free,screen=none --ack=opened
 * </pre>
 */
public final class Device {

	static final ObjectMapper JSON = new ObjectMapper();

	final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

	final Map<String, String> options;

	final String familiar;

	final Path state;

	String access;

	String refresh;

	Device(Map<String, String> options) {
		this.options = options;
		this.familiar = options.getOrDefault("familiar", "http://localhost:8080").replaceAll("/+$", "");
		this.state = Path.of(options.getOrDefault("state", "familiar-device.token"));
	}

	public static void main(String[] args) throws Exception {
		var options = new LinkedHashMap<String, String>();
		for (var arg : args) {
			if (arg.equals("--help") || arg.equals("-h")) {
				System.out.println("""
						Usage: java -jar familiar-device.jar --client-id=ID [options]
						  --familiar=URL       Familiar's address (default http://localhost:8080)
						  --client-id=ID       the device app's client id (register one on Familiar's Developer page, "device app")
						  --name=NAME          what the device is called (shown on the consent page and Apps & devices)
						  --kind=KIND          phone, watch, speaker, glasses, car, desktop or other (default other)
						  --context=K=V,...    what to report: activity, focus, screen, place, audio
						  --ack=ACTION         opened, dismissed or none (default opened)
						  --count=N            exit after N notifications (default: run until stopped)
						  --state=FILE         where the refresh token is kept (default familiar-device.token)""");
				return;
			}
			if (!arg.startsWith("--") || !arg.contains("=")) {
				System.err.println("Not an option: " + arg + " (try --help)");
				System.exit(2);
			}
			options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
		}
		if (!options.containsKey("client-id")) {
			System.err.println("Give --client-id (try --help).");
			System.exit(2);
		}
		new Device(options).run();
	}

	void run() throws Exception {
		if (Files.exists(state) && refreshTokens()) {
			System.out.println("Still linked.");
		}
		else {
			link();
		}
		var me = get("/userinfo");
		System.out.println("Linked to " + me.path("preferred_username").asText(me.path("sub").asText()) + ".");
		if (options.containsKey("context")) {
			var context = new LinkedHashMap<String, Object>();
			for (var pair : options.get("context").split(",")) {
				var kv = pair.split("=", 2);
				context.put(kv[0], kv[0].equals("focus") ? (Object) Boolean.parseBoolean(kv[1]) : kv[1]);
			}
			send("PUT", "/api/devices/current/context", JSON.writeValueAsString(context));
			System.out.println("Reported " + context + ".");
		}
		listen(Integer.parseInt(options.getOrDefault("count", "0")));
	}

	/** The device flow: a code for the person to type, then polling until they allow it. */
	void link() throws Exception {
		var started = form("/oauth2/device_authorization", "client_id", options.get("client-id"), "scope",
				"openid profile familiar.device", "device_name", options.getOrDefault("name", "Command-line device"),
				"device_kind", options.getOrDefault("kind", "other"));
		if (!started.has("device_code")) {
			throw new IllegalStateException("Familiar refused to start linking: " + started);
		}
		System.out.println("To link this device, open " + started.path("verification_uri").asText() + " and type "
				+ started.path("user_code").asText());
		System.out.println("(or open " + started.path("verification_uri_complete").asText() + ")");
		var interval = Duration.ofSeconds(started.path("interval").asLong(5));
		while (true) {
			Thread.sleep(interval);
			var token = form("/oauth2/token", "grant_type", "urn:ietf:params:oauth:grant-type:device_code", "client_id",
					options.get("client-id"), "device_code", started.path("device_code").asText());
			var error = token.path("error").asText("");
			if (error.equals("authorization_pending")) {
				continue;
			}
			if (error.equals("slow_down")) {
				interval = interval.plusSeconds(5);
				continue;
			}
			if (!error.isEmpty()) {
				throw new IllegalStateException("Not linked: " + error);
			}
			keep(token);
			return;
		}
	}

	/** New tokens for the refresh token kept; the old one stops working (rotation). */
	boolean refreshTokens() throws Exception {
		var kept = Files.readString(state).strip();
		var token = form("/oauth2/token", "grant_type", "refresh_token", "client_id", options.get("client-id"), "refresh_token", kept);
		if (!token.has("access_token")) {
			return false;
		}
		keep(token);
		return true;
	}

	void keep(JsonNode token) throws IOException {
		access = token.path("access_token").asText();
		refresh = token.path("refresh_token").asText(null);
		if (refresh != null) {
			Files.writeString(state, refresh);
		}
	}

	/** Holds the stream, prints each notification and acknowledges it; resumes after a dropped connection. */
	void listen(int count) throws Exception {
		String lastId = null;
		int seen = 0;
		while (count == 0 || seen < count) {
			var request = HttpRequest.newBuilder(URI.create(familiar + "/api/devices/current/stream"))
				.header("Authorization", "Bearer " + access)
				.header("Accept", "text/event-stream");
			if (lastId != null) {
				request.header("Last-Event-ID", lastId);
			}
			var response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
			if (response.statusCode() == 401 && refreshTokens()) {
				continue;
			}
			if (response.statusCode() != 200) {
				throw new IllegalStateException("The stream answered " + response.statusCode());
			}
			System.out.println("Listening.");
			try (var reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
				String id = null;
				var data = new StringBuilder();
				for (String line; (line = reader.readLine()) != null;) {
					if (line.startsWith("id:")) {
						id = line.substring(3).strip();
					}
					else if (line.startsWith("data:")) {
						data.append(line.substring(5));
					}
					else if (line.isEmpty() && !data.isEmpty()) {
						var shown = JSON.readTree(data.toString());
						data.setLength(0);
						lastId = id;
						show(shown);
						if (count > 0 && ++seen >= count) {
							return;
						}
					}
				}
			}
			catch (IOException dropped) {
				System.out.println("Connection dropped; resuming.");
			}
			Thread.sleep(1000);
		}
	}

	void show(JsonNode shown) throws Exception {
		System.out.println("[" + shown.path("urgency").asText() + "] " + shown.path("title").asText()
				+ (shown.path("body").isTextual() ? " — " + shown.path("body").asText().replace('\n', ' ') : "")
				+ " (" + shown.path("reason").asText() + ")");
		var action = options.getOrDefault("ack", "opened");
		if (!action.equals("none")) {
			send("POST", "/api/notifications/" + shown.path("id").asText() + "/ack", "{\"action\":\"" + action + "\"}");
			System.out.println("Acknowledged: " + action + ".");
		}
	}

	JsonNode get(String path) throws Exception {
		return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(familiar + path)).header("Authorization", "Bearer " + access)
			.build(), HttpResponse.BodyHandlers.ofString()).body());
	}

	void send(String method, String path, String body) throws Exception {
		var response = http.send(HttpRequest.newBuilder(URI.create(familiar + path))
			.header("Authorization", "Bearer " + access)
			.header("Content-Type", "application/json")
			.method(method, HttpRequest.BodyPublishers.ofString(body))
			.build(), HttpResponse.BodyHandlers.ofString());
		if (response.statusCode() >= 300) {
			throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": " + response.body());
		}
	}

	JsonNode form(String path, String... pairs) throws Exception {
		var body = new StringJoiner("&");
		for (int i = 0; i < pairs.length; i += 2) {
			body.add(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8) + "=" + URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
		}
		return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(familiar + path))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(body.toString()))
			.build(), HttpResponse.BodyHandlers.ofString()).body());
	}
}
