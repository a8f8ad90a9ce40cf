package org.familiar.attention;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.ConnectedApps;
import org.familiar.identity.Person;
import org.familiar.memory.MemoryManagement;
import org.familiar.memory.MemorySource;
import org.familiar.testing.RunningFamiliar;
import org.familiar.testing.SettableClock;
import org.familiar.testing.WebSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

/**
 * Devices linked through the real device flow (a form-posting browser signs in, types nothing but
 * opens the code's link, and allows on the consent page), reporting context, receiving what the
 * attention policy decides over server-sent events, acknowledging it; apps sending notifications
 * with {@code familiar.notify}; digests at their time with a set clock; isolation; bad input.
 */
@Import(SettableClock.Bean.class)
@TestPropertySource(properties = { "familiar.attention.tick=PT1H", "familiar.attention.zone=UTC",
		"familiar.attention.push.allow-private-endpoints=true" })
class DevicesAndNotificationsTests extends RunningFamiliar {

	static final ObjectMapper JSON = new ObjectMapper();

	@Autowired
	ConnectedApps apps;

	@Autowired
	AttentionManagement attention;

	@Autowired
	MemoryManagement memory;

	@Autowired
	SettableClock clock;

	final HttpClient http = HttpClient.newHttpClient();

	Person ann;

	WebSession annBrowser;

	String annToken;

	@BeforeEach
	void people() {
		clock.release();
		var name = "ann" + System.nanoTime();
		ann = identity.addPerson(name, "correct horse", false, null);
		annBrowser = new WebSession(port);
		annBrowser.signIn(name, "correct horse");
		annToken = identity.issueToken(ann.id(), "test", WorkloadClass.INTERACTIVE).secret();
		// No quiet hours: what these tests expect must not depend on the hour CI runs at.
		var defaults = attention.rules(ann.id());
		attention.saveRules(ann.id(), new AttentionRules(defaults.zone(), null, null, defaults.digestTimes(),
				defaults.meetingsCriticalOnly(), defaults.muted()));
	}

	record Tokens(String access, String refresh, String scope) {
	}

	record Linked(String clientId, Tokens tokens) {
	}

	/** The device flow as a device and its person do it: code, link, consent, poll. */
	Linked link(String appName, String scope, String deviceName, String kind) throws Exception {
		var clientId = apps.register(null, appName, List.of(), false, true, null).app().clientId();
		return link(clientId, scope, deviceName, kind, annBrowser);
	}

	Linked link(String clientId, String scope, String deviceName, String kind, WebSession person) throws Exception {
		var started = JSON.readTree(form("/oauth2/device_authorization", "client_id", clientId, "scope", scope, "device_name",
				deviceName, "device_kind", kind).body());
		assertThat(started.has("device_code")).as(started.toString()).isTrue();
		var userCode = started.get("user_code").asText();
		var link = person.get("/oauth2/device_verification?user_code=" + userCode);
		var page = person.get(WebSession.location(link));
		assertThat(page.body()).contains(org.springframework.web.util.HtmlUtils.htmlEscape(deviceName)).contains(userCode);
		var pairs = new ArrayList<>(List.of("client_id", clientId, "state", WebSession.field(page.body(), "state"), "user_code",
				userCode, "_csrf", WebSession.csrf(page.body())));
		for (var s : scope.split(" ")) {
			pairs.add("scope");
			pairs.add(s);
		}
		assertThat(WebSession.location(person.post("/oauth2/device_verification", pairs.toArray(String[]::new))))
			.endsWith("/activated");
		var token = JSON.readTree(form("/oauth2/token", "grant_type", "urn:ietf:params:oauth:grant-type:device_code", "client_id",
				clientId, "device_code", started.get("device_code").asText()).body());
		assertThat(token.has("access_token")).as(token.toString()).isTrue();
		return new Linked(clientId, new Tokens(token.get("access_token").asText(),
				token.has("refresh_token") ? token.get("refresh_token").asText() : null, token.get("scope").asText()));
	}

	@Test
	void aWatchLinksWithACodeAndStaysLinked() throws Exception {
		var watch = link("Familiar for watches", "openid profile familiar.device familiar.notify", "Ann's watch", "watch");
		assertThat(watch.tokens().refresh()).as("a refresh token for the device").isNotNull();
		assertThat(watch.tokens().scope().split(" ")).contains("openid", "profile", "familiar.device");
		var me = http.send(get("/userinfo", watch.tokens().access()), HttpResponse.BodyHandlers.ofString());
		assertThat(me.statusCode()).as(me.body() + me.headers().map()).isEqualTo(200);
		assertThat(JSON.readTree(me.body()).get("preferred_username").asText()).isEqualTo(ann.username());

		var current = JSON.readTree(api("GET", "/api/devices/current", watch.tokens().access(), null).body());
		assertThat(current.get("name").asText()).isEqualTo("Ann's watch");
		assertThat(current.get("kind").asText()).isEqualTo("watch");
		var id = current.get("id").asText();

		// Refresh rotates: the new pair works, the old refresh token is refused, the device is the same.
		var refreshed = JSON.readTree(form("/oauth2/token", "grant_type", "refresh_token", "client_id", watch.clientId(),
				"refresh_token", watch.tokens().refresh()).body());
		assertThat(refreshed.has("access_token")).as(refreshed.toString()).isTrue();
		assertThat(refreshed.get("refresh_token").asText()).isNotEqualTo(watch.tokens().refresh());
		var newAccess = refreshed.get("access_token").asText();
		assertThat(JSON.readTree(api("GET", "/api/devices/current", newAccess, null).body()).get("id").asText()).isEqualTo(id);
		assertThat(api("GET", "/api/devices/current", watch.tokens().access(), null).statusCode()).as("the old access token")
			.isEqualTo(401);
		// Another app cannot use the watch's refresh token.
		var other = apps.register(null, "Other device app", List.of(), false, true, null).app().clientId();
		assertThat(form("/oauth2/token", "grant_type", "refresh_token", "client_id", other, "refresh_token",
				refreshed.get("refresh_token").asText()).body()).contains("invalid_grant");

		// Apps & devices lists it; renaming it from the device shows there too; removing it stops its tokens at once.
		api("PATCH", "/api/devices/current", newAccess, "{\"name\":\"Left wrist\"}");
		var page = annBrowser.get("/settings/apps").body();
		assertThat(page).contains("Left wrist").contains("data-device=\"" + id + "\"");
		var remove = annBrowser.post("/settings/devices/" + id + "/unlink", "_csrf", WebSession.csrf(page));
		assertThat(WebSession.location(remove)).endsWith("/settings/apps");
		assertThat(api("GET", "/api/devices/current", newAccess, null).statusCode()).isEqualTo(401);
		assertThat(form("/oauth2/token", "grant_type", "refresh_token", "client_id", watch.clientId(), "refresh_token",
				refreshed.get("refresh_token").asText()).body()).contains("invalid_grant");

		// An old refresh token presented again was copied: the device's sign-in ends (it links again).
		var spare = link("Spare watch app", "familiar.device", "Spare watch", "watch");
		var rotated = JSON.readTree(form("/oauth2/token", "grant_type", "refresh_token", "client_id", spare.clientId(),
				"refresh_token", spare.tokens().refresh()).body());
		var reused = form("/oauth2/token", "grant_type", "refresh_token", "client_id", spare.clientId(), "refresh_token",
				spare.tokens().refresh());
		assertThat(reused.statusCode()).isEqualTo(400);
		assertThat(reused.body()).contains("invalid_grant").contains("already used");
		assertThat(api("GET", "/api/devices/current", rotated.get("access_token").asText(), null).statusCode()).isEqualTo(401);
		assertThat(api("GET", "/api/devices", annToken, null).body()).doesNotContain("Spare watch");
	}

	@Test
	void whatArrivesWhereFollowsContextAndRules() throws Exception {
		var clientId = apps.register(null, "Familiar devices", List.of(), false, true, null).app().clientId();
		var phone = link(clientId, "familiar.device", "Phone", "phone", annBrowser).tokens().access();
		var watch = link(clientId, "familiar.device", "Watch", "watch", annBrowser).tokens().access();
		var speaker = link(clientId, "familiar.device", "Kitchen speaker", "speaker", annBrowser).tokens().access();
		var news = link("News", "familiar.notify", "News on the TV", "other").tokens().access();
		clock.set(today(10, 0));

		context(phone, "{\"activity\":\"working\",\"screen\":\"off\"}");
		context(watch, "{\"screen\":\"none\"}");
		context(speaker, "{\"screen\":\"none\",\"audio\":\"speaker\"}");
		var onWatch = send(news, "{\"title\":\"Rain at 11\",\"urgency\":\"normal\"}");
		assertThat(onWatch.get("decision").asText()).isEqualTo("now");
		assertThat(onWatch.get("device_name").asText()).isEqualTo("Watch");
		assertThat(onWatch.get("reason").asText()).isEqualTo("now on Watch: your phone's screen is off");

		context(phone, "{\"activity\":\"meeting\",\"screen\":\"off\"}");
		var held = send(news, "{\"title\":\"Markets\",\"topic\":\"finance\"}");
		assertThat(held.get("decision").asText()).isEqualTo("digest");
		assertThat(held.get("reason").asText()).isEqualTo("held: you were in a meeting; in your 12:00 digest");
		assertThat(held.get("deliver_at").asText()).isEqualTo(today(12, 0).toString());
		var critical = send(news, "{\"title\":\"Storm warning\",\"urgency\":\"critical\"}");
		assertThat(critical.get("decision").asText()).isEqualTo("now");
		assertThat(critical.get("device_name").asText()).as("never the speaker during a meeting").isEqualTo("Watch");

		// The person reports for a device by id (a calendar on the laptop could), and sets their rules.
		var devices = JSON.readTree(api("GET", "/api/devices", annToken, null).body());
		var phoneId = devices.findValues("id").stream().map(JsonNode::asText)
			.filter(id -> devicesNamed(devices, "Phone").equals(id)).findFirst().orElseThrow();
		assertThat(api("PUT", "/api/devices/" + phoneId + "/context", annToken, "{\"activity\":\"driving\",\"screen\":\"off\"}")
			.statusCode()).isEqualTo(200);
		assertThat(send(news, "{\"title\":\"Traffic\",\"urgency\":\"high\"}").get("reason").asText())
			.isEqualTo("held: you were driving; in your 12:00 digest");
		context(phone, "{\"activity\":\"free\",\"screen\":\"on\"}");
		assertThat(send(news, "{\"title\":\"Old\",\"expires_at\":\"" + today(9, 0) + "\"}").get("decision").asText())
			.isEqualTo("drop");
		assertThat(send(news, "{\"title\":\"Score\",\"dedupe_key\":\"match-1\"}").get("device_name").asText()).isEqualTo("Phone");
		clock.advance(Duration.ofMinutes(3));
		assertThat(send(news, "{\"title\":\"Score\",\"dedupe_key\":\"match-1\"}").get("reason").asText())
			.startsWith("dropped: a repeat");
		assertThat(api("PUT", "/api/attention/rules", annToken, "{\"muted\":[\"app:" + newsClient(news) + "\"]}").statusCode())
			.isEqualTo(200);
		assertThat(send(news, "{\"title\":\"Anything\",\"urgency\":\"high\"}").get("reason").asText()).isEqualTo("dropped: you muted News");
		api("PUT", "/api/attention/rules", annToken, "{\"muted\":[]}");

		// The digest at 12:00: written by the model (the stand-in answers), with the plain list, and shown.
		clock.set(today(12, 0).plusSeconds(1));
		attention.tick();
		var digests = JSON.readTree(api("GET", "/api/attention/digests", annToken, null).body());
		assertThat(digests).hasSize(1);
		assertThat(digests.get(0).get("items").asInt()).isEqualTo(2);
		assertThat(digests.get(0).get("text").asText()).contains("News: Markets").contains("News: Traffic");
		assertThat(digests.get(0).get("by_model").asText()).isEqualTo("fake-model");
		var list = JSON.readTree(api("GET", "/api/notifications", annToken, null).body());
		assertThat(list.get(0).get("title").asText()).isEqualTo("Your 12:00 digest: 2 notifications");
		assertThat(list.get(0).get("device_name").asText()).isEqualTo("Phone");
		attention.tick();
		assertThat(JSON.readTree(api("GET", "/api/attention/digests", annToken, null).body())).as("a digest once").hasSize(1);
	}

	@Test
	void aDevicesStreamDeliversAndResumesAfterADroppedConnection() throws Exception {
		var watch = link("Watch app", "familiar.device", "Watch", "watch").tokens().access();
		context(watch, "{\"screen\":\"on\"}");
		long lastSeen;
		try (var stream = new Stream(watch, null)) {
			var first = send(annToken, "{\"title\":\"One\",\"urgency\":\"high\"}");
			var event = stream.next();
			assertThat(event.data().get("id").asText()).isEqualTo(first.get("id").asText());
			assertThat(event.data().get("title").asText()).isEqualTo("One");
			lastSeen = Long.parseLong(event.id());
		}
		clock.advance(Duration.ofMinutes(3));
		send(annToken, "{\"title\":\"Two\",\"urgency\":\"high\"}");
		clock.advance(Duration.ofMinutes(3));
		send(annToken, "{\"title\":\"Three\",\"urgency\":\"high\"}");
		try (var stream = new Stream(watch, Long.toString(lastSeen))) {
			assertThat(stream.next().data().get("title").asText()).isEqualTo("Two");
			assertThat(stream.next().data().get("title").asText()).isEqualTo("Three");
		}
		// Without Last-Event-ID a device gets what it was not sent yet: nothing here, once the stream
		// has recorded Three as delivered (it records each just after writing it: at least once).
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
			.until(() -> JSON.readTree(api("GET", "/api/notifications", annToken, null).body()).findValues("delivered_at").size() == 3);
		clock.advance(Duration.ofMinutes(3));
		try (var stream = new Stream(watch, null)) {
			send(annToken, "{\"title\":\"Four\",\"urgency\":\"high\"}");
			assertThat(stream.next().data().get("title").asText()).isEqualTo("Four");
		}
		// The stream records each as delivered just after writing it to the device.
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
			.until(() -> JSON.readTree(api("GET", "/api/notifications", annToken, null).body()).findValues("delivered_at").size() == 4);
	}

	@Test
	void aBurstIsMergedAndAcknowledgementsTurnIntoPreferences() throws Exception {
		var phone = link("Phone app", "familiar.device", "Phone", "phone").tokens().access();
		var chat = link("Chatter", "familiar.notify", "Chatter", "other").tokens().access();
		context(phone, "{\"screen\":\"on\"}");
		clock.set(today(15, 0));
		assertThat(send(chat, "{\"title\":\"hi\"}").get("deliver_at")).isNull();
		var second = send(chat, "{\"title\":\"are you there\"}");
		var third = send(chat, "{\"title\":\"hello?\"}");
		assertThat(second.get("reason").asText()).isEqualTo("merged: Chatter sent another within 2 min; shown together at 15:02");
		assertThat(third.get("deliver_at").asText()).isEqualTo(today(15, 2).toString());
		try (var stream = new Stream(phone, null)) {
			assertThat(stream.next().data().get("title").asText()).isEqualTo("hi");
			clock.set(today(15, 2).plusSeconds(1));
			attention.tick();
			var merged = stream.next().data();
			assertThat(merged.get("title").asText()).isEqualTo("2 from Chatter");
			assertThat(merged.get("body").asText()).isEqualTo("are you there\nhello?");
		}

		// Five dismissed, none opened: a preference the person sees; Chatter is dropped from then on.
		var ids = JSON.readTree(api("GET", "/api/notifications", chat, null).body()).findValues("id");
		assertThat(ids).as("an app sees its own").hasSize(3);
		for (int i = 0; i < 2; i++) {
			clock.advance(Duration.ofMinutes(3));
			ids = new ArrayList<>(ids);
			ids.add(JSON.readTree("\"" + send(chat, "{\"title\":\"ping " + i + "\"}").get("id").asText() + "\""));
		}
		for (var id : ids) {
			assertThat(api("POST", "/api/notifications/" + id.asText() + "/ack", phone, "{\"action\":\"dismissed\"}").statusCode())
				.isEqualTo(200);
		}
		var learned = memory.memories(new org.familiar.identity.Caller(ann.id(), ann.username(), null, WorkloadClass.INTERACTIVE),
				null, 50).stream().filter(m -> m.source() == MemorySource.ATTENTION).toList();
		assertThat(learned).hasSize(1);
		assertThat(learned.getFirst().content()).isEqualTo("Prefers not to be notified by Chatter: dismissed the last 5 without opening one.");
		clock.advance(Duration.ofMinutes(3));
		assertThat(send(chat, "{\"title\":\"buy now\"}").get("decision").asText()).isEqualTo("drop");
		// The person forgets the preference: Chatter is shown again.
		memory.forget(new org.familiar.identity.Caller(ann.id(), ann.username(), null, WorkloadClass.INTERACTIVE),
				learned.getFirst().id());
		clock.advance(Duration.ofMinutes(3));
		assertThat(send(chat, "{\"title\":\"really\"}").get("decision").asText()).isEqualTo("now");
	}

	@Test
	void appsSeeOnlyTheirOwnAndOtherPeopleNothing() throws Exception {
		var watch = link("Watch app 2", "familiar.device", "Watch", "watch").tokens().access();
		var news = link("Paper", "familiar.notify", "Paper", "other").tokens().access();
		var quiet = link("Quiet app", "familiar.assistant", "Quiet", "other").tokens().access();
		var mine = send(annToken, "{\"title\":\"Note to self\"}");
		var theirs = send(news, "{\"title\":\"Headline\"}");
		assertThat(JSON.readTree(api("GET", "/api/notifications", news, null).body()).findValuesAsText("title"))
			.containsExactly("Headline");
		assertThat(api("GET", "/api/notifications/" + mine.get("id").asText(), news, null).statusCode()).isEqualTo(404);
		assertThat(api("GET", "/api/devices", news, null).statusCode()).as("an app sees no device or context").isEqualTo(403);
		assertThat(api("GET", "/api/attention/rules", news, null).statusCode()).isEqualTo(403);
		assertThat(api("POST", "/api/notifications/" + theirs.get("id").asText() + "/ack", news, "{\"action\":\"opened\"}")
			.statusCode()).as("apps do not acknowledge").isEqualTo(403);
		assertThat(api("POST", "/api/notifications", quiet, "{\"title\":\"x\"}").statusCode()).as("without familiar.notify")
			.isEqualTo(403);
		assertThat(api("PUT", "/api/devices/current/context", news, "{\"activity\":\"free\"}").statusCode()).isEqualTo(403);

		var bob = identity.addPerson("bob" + System.nanoTime(), "battery staple", false, null);
		var bobToken = identity.issueToken(bob.id(), "test", WorkloadClass.INTERACTIVE).secret();
		assertThat(JSON.readTree(api("GET", "/api/notifications", bobToken, null).body())).isEmpty();
		assertThat(api("GET", "/api/notifications/" + mine.get("id").asText(), bobToken, null).statusCode()).isEqualTo(404);
		var watchId = JSON.readTree(api("GET", "/api/devices/current", watch, null).body()).get("id").asText();
		assertThat(api("PUT", "/api/devices/" + watchId + "/context", bobToken, "{\"activity\":\"free\"}").statusCode())
			.isEqualTo(404);
		assertThat(api("DELETE", "/api/devices/" + watchId, bobToken, null).statusCode()).isEqualTo(404);
		assertThat(JSON.readTree(api("GET", "/api/devices", bobToken, null).body())).isEmpty();
	}

	@Test
	void badInputGetsProblemDetailsAndChangesNothing() throws Exception {
		var watch = link("Watch app 3", "familiar.device", "Watch", "watch").tokens().access();
		var before = JSON.readTree(api("GET", "/api/notifications", annToken, null).body()).size();
		for (var body : List.of("{}", "{\"title\":\"\"}", "{\"title\":\"x\",\"urgency\":\"urgent\"}",
				"{\"title\":\"x\",\"expires_at\":\"tomorrow\"}", "{\"title\":\"x\",\"expires_at\":\"2026-12-02T18:00:00\"}",
				"{\"title\":\"" + "x".repeat(201) + "\"}", "{\"title\":\"a\\u0000b\"}", "{\"title\":\"\\ud800\"}",
				"{\"title\":\"x\",\"title\":\"y\"}", "[1]", "not json", "{\"title\":[\"x\"]}",
				"{\"title\":\"x\",\"dedupe_key\":\"\"}", "{\"title\":\"x\",\"topic\":\"" + "t".repeat(61) + "\"}")) {
			var response = api("POST", "/api/notifications", annToken, body);
			assertThat(response.statusCode()).as(body).isEqualTo(400);
			assertThat(response.headers().firstValue("Content-Type").orElse("")).as(body).contains("application/problem+json");
		}
		assertThat(JSON.readTree(api("GET", "/api/notifications", annToken, null).body())).hasSize(before);
		for (var body : List.of("{\"activity\":\"dancing\"}", "{\"screen\":\"maybe\"}", "{\"focus\":\"very\"}", "{\"place\":1}")) {
			assertThat(api("PUT", "/api/devices/current/context", watch, body).statusCode()).as(body).isEqualTo(400);
		}
		for (var body : List.of("{\"digest_times\":[]}", "{\"digest_times\":[\"25:00\"]}", "{\"zone\":\"Mars/Olympus\"}",
				"{\"quiet_from\":\"22:00\",\"quiet_until\":\"22:00\"}")) {
			assertThat(api("PUT", "/api/attention/rules", annToken, body).statusCode()).as(body).isEqualTo(400);
		}
		var sent = send(annToken, "{\"title\":\"fine\"}");
		for (var body : List.of("{}", "{\"action\":\"liked\"}", "{\"action\":\"snoozed\"}",
				"{\"action\":\"snoozed\",\"until\":\"2020-01-01T00:00:00Z\"}")) {
			assertThat(api("POST", "/api/notifications/" + sent.get("id").asText() + "/ack", annToken, body).statusCode()).as(body)
				.isEqualTo(400);
		}
		assertThat(api("POST", "/api/notifications/not-a-uuid/ack", annToken, "{\"action\":\"opened\"}").statusCode()).isEqualTo(404);
		assertThat(api("GET", "/api/devices/current/stream", watch, null, "Last-Event-ID", "abc").statusCode()).isEqualTo(400);
		assertThat(JSON.readTree(api("GET", "/api/notifications/" + sent.get("id").asText(), annToken, null).body()).has("action"))
			.isFalse();
		var started = form("/oauth2/device_authorization", "client_id", "nobody", "scope", "familiar.device");
		assertThat(started.statusCode()).isEqualTo(401);
	}

	@Test
	void aBrowserThatSubscribedGetsWhatIsShownInTheWebAppByWebPush() throws Exception {
		var received = new LinkedBlockingQueue<com.sun.net.httpserver.HttpExchange>();
		var bodies = new java.util.concurrent.ConcurrentHashMap<com.sun.net.httpserver.HttpExchange, byte[]>();
		var pushService = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
		pushService.createContext("/push/", exchange -> {
			bodies.put(exchange, exchange.getRequestBody().readAllBytes());
			received.add(exchange);
			exchange.sendResponseHeaders(exchange.getRequestURI().getPath().endsWith("/gone") ? 410 : 201, -1);
			exchange.close();
		});
		pushService.start();
		try {
			// The browser's side of RFC 8291: its own key pair and auth secret.
			var generator = java.security.KeyPairGenerator.getInstance("EC");
			generator.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
			var browserKeys = generator.generateKeyPair();
			var auth = new byte[16];
			new java.security.SecureRandom().nextBytes(auth);
			var p256dh = com.interaso.webpush.CryptoKt.getUncompressedBytes((java.security.interfaces.ECPublicKey) browserKeys.getPublic());
			var b64 = java.util.Base64.getUrlEncoder().withoutPadding();
			var base = "http://127.0.0.1:" + pushService.getAddress().getPort() + "/push/";
			var key = JSON.readTree(api("GET", "/api/attention/push/key", annToken, null).body()).get("public_key").asText();
			assertThat(java.util.Base64.getUrlDecoder().decode(key)).hasSize(65);
			for (var endpoint : List.of(base + "browser", base + "gone")) {
				assertThat(api("POST", "/api/attention/push/subscriptions", annToken, "{\"endpoint\":\"" + endpoint
						+ "\",\"keys\":{\"p256dh\":\"" + b64.encodeToString(p256dh) + "\",\"auth\":\"" + b64.encodeToString(auth) + "\"}}")
					.statusCode()).isEqualTo(201);
			}
			assertThat(api("POST", "/api/attention/push/subscriptions", annToken,
					"{\"endpoint\":\"" + base + "x\",\"keys\":{\"p256dh\":\"short\",\"auth\":\"x\"}}").statusCode()).isEqualTo(400);

			// Shown on a device: no push (the policy picked the watch, not every screen).
			var watch = link("Watch app 4", "familiar.device", "Watch", "watch").tokens().access();
			context(watch, "{\"screen\":\"on\"}");
			assertThat(send(annToken, "{\"title\":\"On the wrist\",\"urgency\":\"high\"}").get("device_name").asText()).isEqualTo("Watch");
			var watchId = JSON.readTree(api("GET", "/api/devices/current", watch, null).body()).get("id").asText();
			assertThat(api("DELETE", "/api/devices/" + watchId, annToken, null).statusCode()).isEqualTo(204);
			clock.advance(Duration.ofMinutes(3));
			assertThat(send(annToken, "{\"title\":\"In the browser\",\"urgency\":\"high\"}").get("reason").asText())
				.isEqualTo("now in the web app: no device is linked");

			var pushes = new ArrayList<com.sun.net.httpserver.HttpExchange>();
			for (int i = 0; i < 2; i++) {
				var push = received.poll(10, TimeUnit.SECONDS);
				assertThat(push).as("a push").isNotNull();
				pushes.add(push);
			}
			var push = pushes.stream().filter(p -> p.getRequestURI().getPath().endsWith("/browser")).findFirst().orElseThrow();
			assertThat(push.getRequestHeaders().getFirst("Content-Encoding")).isEqualTo("aes128gcm");
			assertThat(push.getRequestHeaders().getFirst("Authorization")).startsWith("vapid t=").contains(", k=" + key);
			assertThat(push.getRequestHeaders().getFirst("Urgency")).isEqualTo("high");
			var shown = JSON.readTree(decrypt(bodies.get(push), (java.security.interfaces.ECPrivateKey) browserKeys.getPrivate(), p256dh, auth));
			assertThat(shown.get("title").asText()).isEqualTo("In the browser");
			assertThat(received.poll(1, TimeUnit.SECONDS)).as("nothing for the one shown on the watch").isNull();
			// The push service said the other subscription is gone: it is deleted.
			org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> pushesFor(ann) == 1);
		}
		finally {
			pushService.stop(0);
		}
	}

	@Autowired
	org.familiar.attention.internal.WebPushes webPushes;

	private int pushesFor(org.familiar.identity.Person person) {
		return webPushes.subscriptions(person.id());
	}

	/** RFC 8291 decryption, as the browser does it. */
	static String decrypt(byte[] body, java.security.interfaces.ECPrivateKey browserPrivate, byte[] browserPublic, byte[] auth)
			throws Exception {
		var salt = java.util.Arrays.copyOfRange(body, 0, 16);
		int idLength = body[20] & 0xff;
		var serverPublic = java.util.Arrays.copyOfRange(body, 21, 21 + idLength);
		var agreement = javax.crypto.KeyAgreement.getInstance("ECDH");
		agreement.init(browserPrivate);
		agreement.doPhase(com.interaso.webpush.CryptoKt.generatePublicKeyFromUncompressedBytes(serverPublic), true);
		var secret = agreement.generateSecret();
		var info = new java.io.ByteArrayOutputStream();
		info.write("WebPush: info\0".getBytes(StandardCharsets.US_ASCII));
		info.write(browserPublic);
		info.write(serverPublic);
		var ikm = hkdf(auth, secret, info.toByteArray(), 32);
		var cek = hkdf(salt, ikm, "Content-Encoding: aes128gcm\0".getBytes(StandardCharsets.US_ASCII), 16);
		var nonce = hkdf(salt, ikm, "Content-Encoding: nonce\0".getBytes(StandardCharsets.US_ASCII), 12);
		var cipher = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
		cipher.init(javax.crypto.Cipher.DECRYPT_MODE, new javax.crypto.spec.SecretKeySpec(cek, "AES"),
				new javax.crypto.spec.GCMParameterSpec(128, nonce));
		var plain = cipher.doFinal(body, 21 + idLength, body.length - 21 - idLength);
		int end = plain.length - 1;
		while (end > 0 && plain[end] == 0) {
			end--;
		}
		assertThat(plain[end]).as("the last record's delimiter").isEqualTo((byte) 2);
		return new String(plain, 0, end, StandardCharsets.UTF_8);
	}

	private static byte[] hkdf(byte[] salt, byte[] ikm, byte[] info, int length) throws Exception {
		var mac = javax.crypto.Mac.getInstance("HmacSHA256");
		mac.init(new javax.crypto.spec.SecretKeySpec(salt, "HmacSHA256"));
		var prk = mac.doFinal(ikm);
		mac.init(new javax.crypto.spec.SecretKeySpec(prk, "HmacSHA256"));
		mac.update(info);
		mac.update((byte) 1);
		return java.util.Arrays.copyOf(mac.doFinal(), length);
	}

	// ----- helpers -----

	private static String devicesNamed(JsonNode devices, String name) {
		for (var device : devices) {
			if (device.get("name").asText().equals(name)) {
				return device.get("id").asText();
			}
		}
		throw new AssertionError("no device " + name + " in " + devices);
	}

	private String newsClient(String token) throws Exception {
		return JSON.readTree(api("GET", "/api/notifications", token, null).body()).get(0).get("sender").asText().substring(4);
	}

	static Instant today(int hour, int minute) {
		return LocalDate.now(ZoneOffset.UTC).atTime(hour, minute).toInstant(ZoneOffset.UTC);
	}

	private void context(String token, String body) throws Exception {
		var response = api("PUT", "/api/devices/current/context", token, body);
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
	}

	private JsonNode send(String token, String body) throws Exception {
		var response = api("POST", "/api/notifications", token, body);
		assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
		return JSON.readTree(response.body());
	}

	private HttpResponse<String> api(String method, String path, String token, String body, String... headers) throws Exception {
		var request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Authorization", "Bearer " + token)
			.timeout(Duration.ofSeconds(10))
			.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
		if (body != null) {
			request.header("Content-Type", "application/json");
		}
		for (int i = 0; i < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	private HttpRequest get(String path, String token) {
		return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("Authorization", "Bearer " + token).build();
	}

	private HttpResponse<String> form(String path, String... pairs) throws Exception {
		var body = new StringBuilder();
		for (int i = 0; i < pairs.length; i += 2) {
			body.append(i == 0 ? "" : "&").append(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8)).append('=')
				.append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
		}
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Content-Type", "application/x-www-form-urlencoded")
			.POST(HttpRequest.BodyPublishers.ofString(body.toString()))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	record Event(String id, JsonNode data) {
	}

	/** A device's SSE stream read on a thread of its own; {@link #next} waits for the next event. */
	final class Stream implements AutoCloseable {

		final BlockingQueue<Event> events = new LinkedBlockingQueue<>();

		final java.io.InputStream body;

		Stream(String token, String lastEventId) throws Exception {
			var request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/devices/current/stream"))
				.header("Authorization", "Bearer " + token)
				.header("Accept", "text/event-stream");
			if (lastEventId != null) {
				request.header("Last-Event-ID", lastEventId);
			}
			var response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
			assertThat(response.statusCode()).isEqualTo(200);
			body = response.body();
			var reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
			var opened = new java.util.concurrent.CountDownLatch(1);
			Thread.ofVirtual().start(() -> {
				String id = null;
				var data = new StringBuilder();
				try {
					for (String line; (line = reader.readLine()) != null;) {
						if (line.startsWith(":")) {
							opened.countDown();
						}
						else if (line.startsWith("id:")) {
							id = line.substring(3).strip();
						}
						else if (line.startsWith("data:")) {
							data.append(line.substring(5));
						}
						else if (line.isEmpty() && !data.isEmpty()) {
							events.add(new Event(id, JSON.readTree(data.toString())));
							data.setLength(0);
						}
					}
				}
				catch (Exception closed) {
					// The test closed the stream.
				}
			});
			assertThat(opened.await(10, TimeUnit.SECONDS)).as("the stream opened").isTrue();
		}

		Event next() throws InterruptedException {
			var event = events.poll(10, TimeUnit.SECONDS);
			assertThat(event).as("an event within 10 s").isNotNull();
			return event;
		}

		@Override
		public void close() throws Exception {
			body.close();
		}
	}
}
