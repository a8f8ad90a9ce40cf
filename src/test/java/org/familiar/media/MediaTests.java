package org.familiar.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.PermissionDeniedException;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.videos.VideoCreateParams;
import com.openai.models.videos.VideoRetrieveParams;
import com.openai.models.videos.VideoSeconds;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.awaitility.Awaitility;
import org.familiar.compute.WorkloadClass;
import org.familiar.identity.Person;
import org.familiar.media.internal.Mp4Manifest;
import org.familiar.media.internal.PngManifest;
import org.familiar.plans.PlansManagement;
import org.familiar.testing.MediaModelServer;
import org.familiar.testing.RunningFamiliar;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.TestPropertySource;

/**
 * Images and videos made through the official OpenAI SDK and plain HTTP on a stand-in media
 * server; the registry's rules checked and logged for the holder; withdrawal; metering in images,
 * seconds and Wh; manifests that verify and catch a changed byte; isolation between people.
 */
@TestPropertySource(properties = { "familiar.media.poll-interval=PT0.02S", "familiar.plans.small.token-budget=100000",
		"familiar.plans.small.images=2", "familiar.plans.small.video-seconds=4" })
class MediaTests extends RunningFamiliar {

	static final ObjectMapper JSON = new ObjectMapper();

	static MediaModelServer studio;

	@DynamicPropertySource
	static void studio(DynamicPropertyRegistry registry) throws java.io.IOException {
		studio = MediaModelServer.serve(registry, "studio");
	}

	@AfterAll
	static void stopStudio() {
		studio.close();
	}

	@Autowired
	PlansManagement plans;

	@Autowired
	io.micrometer.core.instrument.MeterRegistry meters;

	final HttpClient http = HttpClient.newHttpClient();

	Person ann;

	String annToken;

	OpenAIClient annAi;

	@BeforeEach
	void people() {
		studio.failJobs = null;
		ann = person("ann");
		annToken = token(ann);
		annAi = sdk(annToken);
	}

	Person person(String name) {
		return identity.addPerson(name + System.nanoTime(), "correct horse", false, null);
	}

	String token(Person person) {
		return identity.issueToken(person.id(), "test", WorkloadClass.INTERACTIVE).secret();
	}

	OpenAIClient sdk(String token) {
		return OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + port + "/v1").apiKey(token).maxRetries(0).build();
	}

	@Test
	void aPersonMakesImagesThatSayWhereTheyCameFrom() throws Exception {
		var images = annAi.images().generate(ImageGenerateParams.builder().model(MediaModelServer.IMAGE_MODEL)
			.prompt("a lighthouse at dusk").n(2).responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
			.putAdditionalBodyProperty("negative_prompt", com.openai.core.JsonValue.from("fog")).build());
		var data = images.data().orElseThrow();
		assertThat(data).hasSize(2);
		var upstream = studio.requests.getLast();
		assertThat(upstream.path("response_format").asText()).isEqualTo("b64_json");
		assertThat(upstream.path("negative_prompt").asText()).as("fields Familiar does not own pass through").isEqualTo("fog");
		assertThat(upstream.path("user").asText()).startsWith("familiar-").doesNotContain(ann.id().value().toString());

		var png = Base64.getDecoder().decode(data.getFirst().b64Json().orElseThrow());
		assertThat(ImageIO.read(new ByteArrayInputStream(png)).getWidth()).as("still a PNG every reader opens").isEqualTo(32);
		var verified = verify(png);
		assertThat(verified.path("manifest_found").asBoolean()).isTrue();
		assertThat(verified.path("signature_valid").asBoolean()).isTrue();
		assertThat(verified.path("unaltered").asBoolean()).isTrue();
		var claims = verified.path("claims");
		assertThat(claims.path("model").asText()).isEqualTo(MediaModelServer.IMAGE_MODEL);
		assertThat(claims.path("backend").asText()).isEqualTo("studio");
		assertThat(claims.path("origin").asText()).isEqualTo("ai-generated");
		assertThat(claims.path("made_by").asText()).startsWith("familiar-").doesNotContain(ann.id().value().toString())
			.doesNotContain(ann.username());
		assertThat(verified.path("summary").asText()).contains("Made with Familiar").contains("unaltered");

		// One changed byte in the picture's data is seen, and so is a changed manifest.
		var changed = png.clone();
		int idat = MediaModelServer.indexOf(changed, "IDAT".getBytes(StandardCharsets.US_ASCII));
		changed[idat + 6] ^= 0x01;
		var altered = verify(changed);
		assertThat(altered.path("signature_valid").asBoolean()).isTrue();
		assertThat(altered.path("unaltered").asBoolean()).isFalse();
		assertThat(altered.path("summary").asText()).contains("altered after it was signed");
		var stripped = PngManifest.strip(png).content();
		var bare = verify(stripped);
		assertThat(bare.path("manifest_found").asBoolean()).isFalse();
		assertThat(bare.path("known").asBoolean()).as("Familiar knows the bytes whose manifest was removed").isTrue();
		var forged = PngManifest.embed(stripped, PngManifest.strip(png).jws().replace('A', 'B'));
		assertThat(verify(forged).path("unaltered").asBoolean()).isFalse();

		var batch = meters.find("familiar.capacity.slot.seconds").tags("backend", "studio", "workload", "batch").counter();
		assertThat(batch).as("images are made as batch work in the studio's slots").isNotNull();
		assertThat(batch.count()).isPositive();
		assertThat(meters.find("familiar.queue.wait").tags("backend", "studio", "workload", "batch").timer().count()).isPositive();
		var usage = plans.mediaUsage(ann.id());
		assertThat(usage.images()).isEqualTo(2);
		assertThat(usage.energyWh()).isCloseTo(2 * 10_000 / 3600.0, org.assertj.core.data.Offset.offset(1e-9));
		var gallery = json(get("/api/media/files", annToken));
		assertThat(gallery).hasSize(2);
		assertThat(gallery.get(0).path("label").asText()).isEqualTo("AI-generated");
	}

	@Test
	void anImageLinkWorksWithoutSigningInAndTheSidecarVerifiesToo() throws Exception {
		var response = post("/v1/images/generations", annToken, Map.of("model", MediaModelServer.IMAGE_MODEL, "prompt", "a fox",
				"response_format", "url"));
		assertThat(response.statusCode()).isEqualTo(200);
		var url = JSON.readTree(response.body()).path("data").get(0).path("url").asText();
		assertThat(url).contains("/media/link/");
		var image = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
		assertThat(image.statusCode()).isEqualTo(200);
		assertThat(image.headers().firstValue("Content-Type")).hasValue("image/png");
		var id = json(get("/api/media/files", annToken)).get(0).path("id").asText();
		var sidecar = get("/api/media/files/" + id + "/manifest", annToken).body();
		var bare = PngManifest.strip(image.body()).content();
		var checked = verifyWithSidecar(bare, sidecar);
		assertThat(checked.path("unaltered").asBoolean()).as(checked.toString()).isTrue();
		assertThat(http.send(HttpRequest.newBuilder(URI.create(url.replace("/link/", "/link/x"))).build(),
				HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
	}

	@Test
	void aRightsHoldersRulesDecideWhatMayBeMadeWithTheirCharacter() throws Exception {
		var bob = person("bob");
		var bobToken = token(bob);
		var carol = person("carol");
		var carolAi = sdk(token(carol));
		var registered = post("/api/media/characters", bobToken, Map.of("name", "Captain Comet", "handle", "comet" + System.nanoTime() % 100000,
				"aliases", List.of("the Comet"), "audience", "approved", "approved", List.of(ann.username()),
				"forbidden_themes", List.of("war"), "attribution", "Captain Comet © Bob's Studio", "feature_me", true));
		assertThat(registered.statusCode()).as(registered.body()).isEqualTo(201);
		var character = JSON.readTree(registered.body());
		var id = character.path("id").asText();
		var handle = character.path("handle").asText();
		int madeBefore = studio.images.get();

		// Not approved: refused before anything is made or charged, naming the rule.
		assertThatThrownBy(() -> carolAi.images().generate(image("Captain Comet saves a cat")))
			.isInstanceOfSatisfying(PermissionDeniedException.class, ex -> {
				assertThat(ex.code()).hasValue("rights_restricted");
				assertThat(ex.getMessage()).contains("Captain Comet").contains("not_approved");
			});
		assertThat(studio.images.get()).isEqualTo(madeBefore);
		assertThat(plans.mediaUsage(carol.id()).images()).isZero();

		// Approved: allowed, and the file says under which grant, with the holder's attribution.
		var made = annAi.images().generate(image("THE   comet at the beach"));
		var claims = verify(Base64.getDecoder().decode(made.data().orElseThrow().getFirst().b64Json().orElseThrow())).path("claims");
		assertThat(claims.path("characters").get(0).path("grant").asText()).isEqualTo("approved");
		assertThat(claims.path("characters").get(0).path("attribution").asText()).isEqualTo("Captain Comet © Bob's Studio");
		assertThat(refusal(annAi, "@" + handle + " in a war")).contains("forbidden_theme").contains("war");
		assertThat(refusal(annAi, "@" + handle.toUpperCase() + " in a WAR")).contains("forbidden_theme");
		// A word that only contains a name or a theme is not it.
		annAi.images().generate(image("a comets tail, no warfare"));

		// Featured for the people who may use it.
		assertThat(json(get("/api/media/characters/featured", annToken)).findValuesAsText("name")).contains("Captain Comet");

		// Narrowed to the holder: refused at once.
		var narrowed = put("/api/media/characters/" + id, bobToken, Map.of("name", "Captain Comet", "aliases", List.of("the Comet"),
				"audience", "only_me", "forbidden_themes", List.of("war")));
		assertThat(narrowed.statusCode()).as(narrowed.body()).isEqualTo(200);
		assertThat(refusal(annAi, "Captain Comet waves")).contains("only_holder");
		// The holder may still use it; then withdraws it for everyone else.
		sdk(bobToken).images().generate(image("Captain Comet waves"));
		put("/api/media/characters/" + id, bobToken, Map.of("name", "Captain Comet", "audience", "everyone"));
		annAi.images().generate(image("Captain Comet waves"));
		assertThat(post("/api/media/characters/" + id + "/withdraw", bobToken, Map.of()).statusCode()).isEqualTo(200);
		assertThat(refusal(annAi, "Captain Comet waves")).contains("withdrawn");
		assertThat(refusal(carolAi, "Captain Comet waves")).contains("withdrawn");

		// The holder sees how often, by whom and with what; nobody else sees that.
		var uses = json(get("/api/media/characters/" + id + "/uses", bobToken));
		assertThat(uses.findValuesAsText("username")).contains(ann.username(), carol.username(), bob.username());
		assertThat(uses.findValuesAsText("rule")).contains("not_approved", "approved", "forbidden_theme", "only_holder", "withdrawn",
				"holder", "everyone");
		assertThat(uses.findValuesAsText("prompt")).contains("Captain Comet saves a cat");
		assertThat(get("/api/media/characters/" + id + "/uses", annToken).statusCode()).isEqualTo(404);
	}

	@Test
	void aLikenessIsRecognisedFromAReferenceImage() throws Exception {
		var dave = person("dave");
		var daveToken = token(dave);
		var likeness = JSON.readTree(post("/api/media/characters", daveToken, Map.of("kind", "likeness", "name", "Dave Example"))
			.body());
		assertThat(likeness.path("audience").asText()).as("a likeness is the holder's only unless they say otherwise").isEqualTo("only_me");
		var face = MediaModelServer.png("dave's face");
		var uploaded = multipart("/api/media/characters/" + likeness.path("id").asText() + "/references", daveToken, "file", face, null);
		assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
		// The same picture, re-encoded larger as a JPEG, as someone else's reference: refused.
		var jpeg = jpeg(face, 96);
		var response = post("/v1/videos", annToken, Map.of("model", MediaModelServer.VIDEO_MODEL, "prompt", "a person walks",
				"input_reference", "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg)));
		assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
		assertThat(JSON.readTree(response.body()).path("error").path("code").asText()).isEqualTo("rights_restricted");
		assertThat(JSON.readTree(response.body()).path("error").path("param").asText()).isEqualTo("input_reference");
		// Another picture is not the likeness.
		var other = post("/v1/videos", annToken, Map.of("model", MediaModelServer.VIDEO_MODEL, "prompt", "a person walks",
				"input_reference", "data:image/png;base64," + Base64.getEncoder().encodeToString(MediaModelServer.png("a tree"))));
		assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
	}

	@Test
	void aPersonMakesAShortVideoOnTheirPlanWithTheOfficialSdk() throws Exception {
		var created = annAi.videos().create(VideoCreateParams.builder().model(MediaModelServer.VIDEO_MODEL)
			.prompt("waves on a shore").seconds(VideoSeconds._4).build());
		assertThat(created.id()).startsWith("video_");
		var done = Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
			.until(() -> annAi.videos().retrieve(VideoRetrieveParams.builder().videoId(created.id()).build()),
					v -> v.status().toString().equals("completed") || v.status().toString().equals("failed"));
		assertThat(done.status().toString()).isEqualTo("completed");
		assertThat(done.progress()).isEqualTo(100);
		var content = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/videos/" + created.id() + "/content"))
			.header("Authorization", "Bearer " + annToken).build(), HttpResponse.BodyHandlers.ofByteArray());
		assertThat(content.headers().firstValue("Content-Type")).hasValue("video/mp4");
		var mp4 = content.body();
		assertThat(Mp4Manifest.isMp4(mp4)).isTrue();
		assertThat(Mp4Manifest.strip(mp4).content()).as("the box is the only change").isEqualTo(MediaModelServer.mp4(4));
		var verified = verify(mp4);
		assertThat(verified.path("unaltered").asBoolean()).isTrue();
		assertThat(verified.path("claims").path("model").asText()).isEqualTo(MediaModelServer.VIDEO_MODEL);
		var changed = mp4.clone();
		changed[200] ^= 0x10;
		assertThat(verify(changed).path("unaltered").asBoolean()).isFalse();
		var usage = plans.mediaUsage(ann.id());
		assertThat(usage.videoSeconds()).isEqualTo(4);
		assertThat(usage.videoSecondsHeld()).isZero();
		assertThat(usage.energyWh()).isCloseTo(4 * 400_000 / 3600.0, org.assertj.core.data.Offset.offset(1e-9));
		// Another person cannot see it.
		var bobToken = token(person("bob"));
		assertThat(get("/v1/videos/" + created.id(), bobToken).statusCode()).isEqualTo(404);
		assertThat(get("/v1/videos/" + created.id() + "/content", bobToken).statusCode()).isEqualTo(404);
		var annFile = json(get("/api/media/files", annToken)).get(0).path("id").asText();
		assertThat(get("/api/media/files/" + annFile + "/content", bobToken).statusCode()).isEqualTo(404);
		assertThat(json(get("/api/media/files", bobToken))).isEmpty();
	}

	@Test
	void aHolderWithdrawingPermissionStopsAVideoBeingMadeWithTheirCharacter() throws Exception {
		var holderToken = token(person("holder"));
		var character = JSON.readTree(post("/api/media/characters", holderToken, Map.of("name", "Sky Whale", "handle",
				"skywhale" + System.nanoTime() % 100000, "audience", "everyone")).body());
		studio.stepPercent = 1;
		try {
			var started = post("/v1/videos", annToken, Map.of("model", MediaModelServer.VIDEO_MODEL, "prompt", "the Sky Whale sings"));
			var id = JSON.readTree(started.body()).path("id").asText();
			Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
				.until(() -> JSON.readTree(get("/v1/videos/" + id, annToken).body()).path("progress").asInt() > 0);
			post("/api/media/characters/" + character.path("id").asText() + "/withdraw", holderToken, Map.of());
			var stopped = Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
				.until(() -> JSON.readTree(get("/v1/videos/" + id, annToken).body()), v -> v.path("status").asText().equals("failed"));
			assertThat(stopped.path("error").path("message").asText()).contains("withdrawn");
			assertThat(stopped.path("progress").asInt()).isLessThan(100);
			assertThat(plans.mediaUsage(ann.id()).videoSeconds()).isZero();
			assertThat(plans.mediaUsage(ann.id()).videoSecondsHeld()).isZero();
		}
		finally {
			studio.stepPercent = 50;
		}
	}

	@Test
	void aVideoTheBackendCannotMakeFailsAndCostsNothing() throws Exception {
		studio.failJobs = "the prompt was refused by the backend's own policy";
		var response = post("/v1/videos", annToken, Map.of("model", MediaModelServer.VIDEO_MODEL, "prompt", "anything", "seconds", 4));
		assertThat(response.statusCode()).isEqualTo(200);
		var id = JSON.readTree(response.body()).path("id").asText();
		var failed = Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
			.until(() -> JSON.readTree(get("/v1/videos/" + id, annToken).body()), v -> v.path("status").asText().equals("failed"));
		assertThat(failed.path("error").path("message").asText()).contains("refused by the backend's own policy");
		assertThat(get("/v1/videos/" + id + "/content", annToken).statusCode()).isEqualTo(400);
		var usage = plans.mediaUsage(ann.id());
		assertThat(usage.videoSeconds()).isZero();
		assertThat(usage.videoSecondsHeld()).isZero();
	}

	@Test
	void thePlanLimitsImagesAndSecondsOfVideo() throws Exception {
		var small = identity.addPerson("small" + System.nanoTime(), "correct horse", false, "small");
		var smallToken = token(small);
		var ai = sdk(smallToken);
		ai.images().generate(image("one"));
		ai.images().generate(image("two"));
		int before = studio.images.get();
		var third = post("/v1/images/generations", smallToken, Map.of("model", MediaModelServer.IMAGE_MODEL, "prompt", "three"));
		assertThat(third.statusCode()).isEqualTo(429);
		assertThat(JSON.readTree(third.body()).path("error").path("code").asText()).isEqualTo("insufficient_quota");
		assertThat(third.body()).contains("2 images");
		assertThat(studio.images.get()).isEqualTo(before);
		var tooLong = post("/v1/videos", smallToken, Map.of("model", MediaModelServer.VIDEO_MODEL, "prompt", "long", "seconds", "8"));
		assertThat(tooLong.statusCode()).isEqualTo(429);
		assertThat(plans.mediaUsage(small.id()).images()).isEqualTo(2);
	}

	@Test
	void badRequestsGetClearErrorsAndMakeNothing() throws Exception {
		int before = studio.images.get();
		record Case(String path, Object body, int status, String param) {
		}
		for (var c : List.of(new Case("/v1/images/generations", Map.of("model", MediaModelServer.IMAGE_MODEL), 400, "prompt"),
				new Case("/v1/images/generations", Map.of("model", MediaModelServer.IMAGE_MODEL, "prompt", "x", "n", 0), 400, "n"),
				new Case("/v1/images/generations", Map.of("model", MediaModelServer.IMAGE_MODEL, "prompt", "x", "n", "many"), 400, "n"),
				new Case("/v1/images/generations", Map.of("model", MediaModelServer.IMAGE_MODEL, "prompt", "x", "response_format", "gif"), 400,
						"response_format"),
				new Case("/v1/images/generations", Map.of("model", "fake-model", "prompt", "x"), 400, "model"),
				new Case("/v1/images/generations", Map.of("model", "no-such-model", "prompt", "x"), 404, "model"),
				new Case("/v1/images/generations", List.of(1, 2), 400, ""),
				new Case("/v1/videos", Map.of("model", MediaModelServer.VIDEO_MODEL, "prompt", "x", "seconds", 999), 400, "seconds"),
				new Case("/v1/videos", Map.of("model", MediaModelServer.VIDEO_MODEL, "prompt", "x", "size", "big"), 400, "size"),
				new Case("/v1/videos", Map.of("model", MediaModelServer.VIDEO_MODEL, "prompt", "x", "input_reference", "http://x"), 400,
						"input_reference"))) {
			var response = post(c.path(), annToken, c.body());
			assertThat(response.statusCode()).as(c + " → " + response.body()).isEqualTo(c.status());
			var error = JSON.readTree(response.body()).path("error");
			assertThat(error.path("message").asText()).as(c.toString()).isNotBlank();
			if (!c.param().isEmpty()) {
				assertThat(error.path("param").asText()).as(c.toString()).isEqualTo(c.param());
			}
		}
		assertThat(studio.images.get()).isEqualTo(before);
		var usage = plans.mediaUsage(ann.id());
		assertThat(usage.images() + usage.imagesHeld() + usage.videoSeconds() + usage.videoSecondsHeld()).isZero();
		assertThat(post("/api/media/characters", annToken, Map.of("name", "", "handle", "x")).statusCode()).isEqualTo(400);
		assertThat(post("/api/media/characters", annToken, Map.of("name", "A", "audience", "friends")).statusCode()).isEqualTo(400);
		assertThat(get("/api/media/files/not-a-uuid", annToken).statusCode()).isEqualTo(404);
		assertThat(http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/media/verify"))
			.header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofString("hello")).build(),
				HttpResponse.BodyHandlers.ofString()).body()).contains("\"manifest_found\":false");
	}

	@Test
	void aPersonMarksTheirOwnUploadHumanMade() throws Exception {
		var drawing = MediaModelServer.png("my drawing");
		var uploaded = multipart("/api/media/uploads?human_made=true", annToken, "file", drawing, null);
		assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
		assertThat(JSON.readTree(uploaded.body()).path("origin").asText()).isEqualTo("human-made");
		var id = JSON.readTree(uploaded.body()).path("id").asText();
		var served = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/media/files/" + id + "/content"))
			.header("Authorization", "Bearer " + annToken).build(), HttpResponse.BodyHandlers.ofByteArray()).body();
		var verified = verify(served);
		assertThat(verified.path("claims").path("origin").asText()).isEqualTo("human-made");
		assertThat(verified.path("summary").asText()).contains("says it is human-made");
		// What Familiar signed as AI-generated cannot be passed off as human-made.
		var made = annAi.images().generate(image("a generated cat"));
		var generated = Base64.getDecoder().decode(made.data().orElseThrow().getFirst().b64Json().orElseThrow());
		var passedOff = multipart("/api/media/uploads?human_made=true", annToken, "file", generated, null);
		assertThat(passedOff.statusCode()).isEqualTo(400);
		assertThat(passedOff.body()).contains("ai-generated");
	}

	@Test
	void anImageEditedByAModelSaysSoAndALikenessInItIsChecked() throws Exception {
		var photo = MediaModelServer.png("my holiday photo");
		var edited = annAi.images().edit(com.openai.models.images.ImageEditParams.builder().image(photo).prompt("make it sunset")
			.model(MediaModelServer.IMAGE_MODEL).responseFormat(com.openai.models.images.ImageEditParams.ResponseFormat.B64_JSON).build());
		var png = Base64.getDecoder().decode(edited.data().orElseThrow().getFirst().b64Json().orElseThrow());
		var verified = verify(png);
		assertThat(verified.path("unaltered").asBoolean()).isTrue();
		assertThat(verified.path("claims").path("origin").asText()).isEqualTo("ai-edited");
		assertThat(verified.path("summary").asText()).contains("Edited with AI");
		var form = new String(studio.edits.getLast(), StandardCharsets.ISO_8859_1);
		assertThat(form).contains("name=\"model\"").contains(MediaModelServer.IMAGE_MODEL).contains("name=\"user\"")
			.contains("name=\"response_format\"").contains("b64_json").contains("make it sunset");
		assertThat(MediaModelServer.indexOf(studio.edits.getLast(), photo)).as("the image went to the backend as it came")
			.isGreaterThan(0);

		// Someone's likeness in the image to edit is theirs to allow.
		var erin = person("erin");
		var erinToken = token(erin);
		var likeness = JSON.readTree(post("/api/media/characters", erinToken, Map.of("kind", "likeness", "name", "Erin Example")).body());
		var face = MediaModelServer.png("erin's face");
		multipart("/api/media/characters/" + likeness.path("id").asText() + "/references", erinToken, "file", face, null);
		int before = studio.images.get();
		assertThatThrownBy(() -> annAi.images().edit(com.openai.models.images.ImageEditParams.builder().image(jpeg(face, 64))
			.prompt("put a hat on").model(MediaModelServer.IMAGE_MODEL).build()))
			.isInstanceOfSatisfying(PermissionDeniedException.class, ex -> assertThat(ex.getMessage()).contains("Erin Example"));
		assertThat(studio.images.get()).isEqualTo(before);
		var erinAi = sdk(erinToken);
		var own = erinAi.images().edit(com.openai.models.images.ImageEditParams.builder().image(face).prompt("put a hat on")
			.model(MediaModelServer.IMAGE_MODEL).responseFormat(com.openai.models.images.ImageEditParams.ResponseFormat.B64_JSON).build());
		assertThat(verify(Base64.getDecoder().decode(own.data().orElseThrow().getFirst().b64Json().orElseThrow()))
			.path("claims").path("characters").get(0).path("grant").asText()).isEqualTo("holder");
	}

	// ----- helpers -----

	static ImageGenerateParams image(String prompt) {
		return ImageGenerateParams.builder().model(MediaModelServer.IMAGE_MODEL).prompt(prompt)
			.responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON).build();
	}

	static String refusal(OpenAIClient ai, String prompt) {
		try {
			ai.images().generate(image(prompt));
		}
		catch (PermissionDeniedException ex) {
			assertThat(ex.code()).hasValue("rights_restricted");
			return ex.getMessage();
		}
		throw new AssertionError("'" + prompt + "' was allowed");
	}

	JsonNode verify(byte[] file) throws Exception {
		var response = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/media/verify"))
			.header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(file)).build(),
				HttpResponse.BodyHandlers.ofString());
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

	JsonNode verifyWithSidecar(byte[] file, String sidecar) throws Exception {
		var response = multipart("/api/media/verify", null, "file", file, sidecar);
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

	HttpResponse<String> multipart(String path, String token, String field, byte[] file, String manifest) throws Exception {
		var boundary = "----familiar" + System.nanoTime();
		var body = new ByteArrayOutputStream();
		body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
				+ "\"; filename=\"f.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
		body.writeBytes(file);
		if (manifest != null) {
			body.writeBytes(("\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"manifest_text\"\r\n\r\n" + manifest)
				.getBytes(StandardCharsets.UTF_8));
		}
		body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
		var request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Content-Type", "multipart/form-data; boundary=" + boundary)
			.POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
		if (token != null) {
			request.header("Authorization", "Bearer " + token);
		}
		return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	HttpResponse<String> get(String path, String token) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
	}

	HttpResponse<String> post(String path, String token, Object body) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
	}

	HttpResponse<String> put(String path, String token, Object body) throws Exception {
		return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
			.PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
	}

	static JsonNode json(HttpResponse<String> response) throws Exception {
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

	static byte[] jpeg(byte[] png, int size) throws Exception {
		var source = ImageIO.read(new ByteArrayInputStream(png));
		var scaled = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
		var g = scaled.createGraphics();
		g.drawImage(source, 0, 0, size, size, null);
		g.dispose();
		var out = new ByteArrayOutputStream();
		ImageIO.write(scaled, "jpeg", out);
		return out.toByteArray();
	}
}
