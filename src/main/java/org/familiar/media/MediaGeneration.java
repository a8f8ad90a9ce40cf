package org.familiar.media;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.familiar.compute.BackendFailedException;
import org.familiar.compute.BackendRejectedException;
import org.familiar.compute.BackendUnavailableException;
import org.familiar.compute.ChatResult;
import org.familiar.compute.ComputeManagement;
import org.familiar.compute.FinishReason;
import org.familiar.compute.MediaBackend;
import org.familiar.compute.MediaCall;
import org.familiar.compute.MediaReply;
import org.familiar.compute.ModelInfo;
import org.familiar.compute.RequestIds;
import org.familiar.compute.TokenUsage;
import org.familiar.identity.Caller;
import org.familiar.media.internal.Characters;
import org.familiar.media.internal.ImageHash;
import org.familiar.media.internal.RightsCheck;
import org.familiar.media.internal.VideoJobs;
import org.familiar.plans.MediaUnit;
import org.familiar.plans.PlansManagement;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Making images and videos for a person: the request is read, the registry's rules are checked
 * (a refusal is a {@link RightsRestrictedException}, recorded for the holder, before anything is
 * reserved or made), the plan reserves the images or seconds, compute runs the work on a backend
 * as batch work, each file gets its signed manifest and is kept, and the plan is settled with what
 * was made and its energy — once, however it ends.
 *
 * <p>Images are made while the caller waits. A video is a job: {@link #startVideo} returns at
 * once, the job runs on a virtual thread of this replica, asks its backend for progress every
 * {@code familiar.media.poll-interval} and is readable from any replica. A job that uses a
 * registered character checks its rules again at every poll, so a holder's withdrawal stops it.
 * A replica that stops with jobs running fails them when it starts again, or another replica does
 * when its lease runs out (charged nothing).
 */
@Service
public class MediaGeneration {

	private static final Logger log = LoggerFactory.getLogger(MediaGeneration.class);

	/** The fields of an images request that Familiar sets itself; the rest go to the backend as they came. */
	private static final Set<String> OWNED = Set.of("model", "response_format", "user");

	private final ComputeManagement compute;

	private final PlansManagement plans;

	private final MediaManagement media;

	private final Characters characters;

	private final VideoJobs jobs;

	private final MediaSettings settings;

	private final Clock clock;

	private final ObjectMapper json;

	private final MeterRegistry meters;

	private final String node;

	private final ExecutorService running = Executors.newVirtualThreadPerTaskExecutor();

	MediaGeneration(ComputeManagement compute, PlansManagement plans, MediaManagement media, Characters characters,
			VideoJobs jobs, MediaSettings settings, Clock clock, ObjectMapper json, MeterRegistry meters,
			org.familiar.compute.Replicas replicas) {
		this.compute = compute;
		this.plans = plans;
		this.media = media;
		this.characters = characters;
		this.jobs = jobs;
		this.settings = settings;
		this.clock = clock;
		this.json = json;
		this.meters = meters;
		this.node = replicas.node();
		for (var left : jobs.unfinished(node, replicas.started())) {
			failJob(left, "Familiar stopped while this video was being made; nothing was charged. Start it again.");
		}
		// Another replica that is gone left its jobs running: they end, and its reservations are settled by plans.
		replicas.onDeparture(departed -> jobs.unfinished(departed, clock.instant()).forEach(left -> failJob(left,
				"The Familiar server making this video stopped; nothing was charged. Start it again.")));
	}

	/**
	 * {@code POST /v1/images/generations}: makes {@code n} images, each a file with its manifest.
	 * @param linkBase where {@code response_format=url} links point ({@code https://host/media/link/})
	 * @return the OpenAI-shaped response, each image as {@code b64_json} or {@code url}
	 * @throws InvalidMediaException if a field is missing or wrong
	 * @throws RightsRestrictedException if a registered character's rules refuse it
	 */
	public ObjectNode generateImages(Caller caller, ObjectNode body, String linkBase) {
		var request = ImageRequest.of(body, settings, model(body, ModelInfo.IMAGE));
		var upstream = json.createObjectNode();
		body.properties().forEach(field -> {
			if (!OWNED.contains(field.getKey())) {
				upstream.set(field.getKey(), field.getValue());
			}
		});
		return makeImages(caller, request, List.of(), MediaFile.Origin.AI_GENERATED, linkBase,
				backend -> backend.post("images/generations",
						upstream.deepCopy().put("model", backend.upstreamModel()).put("response_format", "b64_json")));
	}

	/**
	 * {@code POST /v1/images/edits}: changes the person's images (and mask) as the prompt says;
	 * each result is {@code ai-edited}. The images are reference images for the rights check: a
	 * registered likeness or character in them is checked like one named in the prompt.
	 * @param fields the form's text fields as they came (Familiar owns {@code model},
	 *     {@code response_format} and {@code user}; the rest go to the backend)
	 * @param images the {@code image} parts, then the {@code mask} part if any
	 * @throws InvalidMediaException if a field is missing or wrong, or an image cannot be read
	 * @throws RightsRestrictedException if a registered character's rules refuse it
	 */
	public ObjectNode editImages(Caller caller, java.util.Map<String, String> fields, List<MediaBackend.Part> images,
			String linkBase) {
		var body = json.createObjectNode();
		fields.forEach(body::put);
		if (images.stream().noneMatch(part -> part.name().startsWith("image"))) {
			throw new InvalidMediaException("'image' is required: the image to edit.", "image");
		}
		var references = new ArrayList<Long>();
		for (var part : images) {
			if (part.bytes().length > settings.maxUploadBytes()) {
				throw new InvalidMediaException("'" + part.name() + "' is larger than " + settings.maxUploadBytes() + " bytes.", part.name());
			}
			var hash = org.familiar.media.internal.ImageHash.of(part.bytes());
			if (hash == null) {
				throw new InvalidMediaException("'" + part.name() + "' is not an image Familiar can read (PNG, JPEG, GIF, BMP).",
						part.name());
			}
			if (part.name().startsWith("image")) {
				references.add(hash);
			}
		}
		var request = ImageRequest.of(body, settings, model(body, ModelInfo.IMAGE));
		var upstream = new java.util.LinkedHashMap<String, String>();
		fields.forEach((name, value) -> {
			if (!OWNED.contains(name)) {
				upstream.put(name, value);
			}
		});
		return makeImages(caller, request, references, MediaFile.Origin.AI_EDITED, linkBase, backend -> {
			var form = new java.util.LinkedHashMap<>(upstream);
			form.put("model", backend.upstreamModel());
			form.put("response_format", "b64_json");
			return backend.postForm("images/edits", form, images);
		});
	}

	/** What an images request asks for, checked. */
	private record ImageRequest(String prompt, int n, String format, String model) {

		static ImageRequest of(ObjectNode body, MediaSettings settings, String model) {
			var prompt = MediaGeneration.prompt(body);
			int n = count(body.get("n"), "n", 1, settings.maxImages(), 1);
			var format = text(body.get("response_format"), "response_format", "b64_json");
			if (!format.equals("b64_json") && !format.equals("url")) {
				throw new InvalidMediaException("'response_format' is b64_json or url; not '" + format + "'.", "response_format");
			}
			return new ImageRequest(prompt, n, format, model);
		}
	}

	/** The one way images are made: rights, reservation, the backend, a manifest per file, settlement. */
	private ObjectNode makeImages(Caller caller, ImageRequest request, List<Long> references, MediaFile.Origin origin,
			String linkBase, java.util.function.Function<MediaBackend, MediaReply> call) {
		var prompt = request.prompt();
		var model = request.model();
		long checkStarted = System.nanoTime();
		var decision = checkRights(caller, prompt, references, "image");
		phase("rights_check", checkStarted);
		var requestId = RequestIds.next("img-");
		plans.reserveMedia(caller, requestId, MediaUnit.IMAGES, model, request.n());
		int made = 0;
		String backendName = "";
		double wh = 0;
		try {
			var result = compute.media(new MediaCall(requestId, caller.person().toString(), model, ModelInfo.IMAGE),
					backend -> new Made(backend.name(), backend.energy(), answer(backend, call.apply(backend))));
			backendName = result.backend();
			var data = result.body().path("data");
			if (!(data instanceof ArrayNode items) || items.isEmpty()) {
				throw failed(backendName, model, "Backend '" + backendName + "' answered without images.");
			}
			var out = result.body().deepCopy();
			var outItems = out.putArray("data");
			var now = clock.instant();
			// A backend may make more than was asked for; only what was reserved is kept and charged.
			for (var item : items) {
				if (made == request.n()) {
					break;
				}
				var b64 = item.path("b64_json");
				if (!b64.isTextual()) {
					throw failed(backendName, model, "Backend '" + backendName + "' answered without image bytes (b64_json).");
				}
				byte[] image;
				try {
					image = Base64.getDecoder().decode(b64.textValue());
				}
				catch (IllegalArgumentException notBase64) {
					throw failed(backendName, model, "Backend '" + backendName + "' sent an image that is not base64.");
				}
				var kept = media.keep(caller.person(), "image", contentType(image), image, origin, model, backendName, prompt,
						decision.grants(), request.format().equals("url"), now);
				made++;
				var copy = ((ObjectNode) item).deepCopy();
				copy.remove("b64_json");
				copy.remove("url");
				if (request.format().equals("url")) {
					copy.put("url", linkBase + kept.linkKey());
				}
				else {
					copy.put("b64_json", Base64.getEncoder().encodeToString(kept.bytes()));
				}
				outItems.add(copy);
				for (var grant : decision.grants()) {
					characters.recordUse(grant.character().id(), caller.person(), caller.username(), true, grant.grant(),
							"allowed: " + grant.grant(), prompt, kept.id(), now);
				}
			}
			out.put("created", now.getEpochSecond());
			wh = result.energy().imagesWh(made);
			meters.counter("familiar.media.made", "kind", "image", "backend", backendName).increment(made);
			meters.counter("familiar.media.energy.wh", "kind", "image", "backend", backendName).increment(wh);
			return out;
		}
		finally {
			plans.settleMedia(requestId, backendName, made, wh, made > 0 ? "completed" : "failed");
		}
	}

	private record Made(String backend, org.familiar.compute.ComputeSettings.MediaEnergy energy, ObjectNode body) {
	}

	/**
	 * {@code POST /v1/videos}: checks the request and its rights, reserves its seconds and starts
	 * the job.
	 * @throws InvalidMediaException if a field is missing or wrong
	 * @throws RightsRestrictedException if a registered character's rules refuse it
	 */
	public VideoJob startVideo(Caller caller, ObjectNode body) {
		var prompt = prompt(body);
		int seconds = count(body.get("seconds"), "seconds", 1, settings.maxVideoSeconds(), settings.defaultVideoSeconds());
		var size = text(body.get("size"), "size", "720x1280");
		if (!size.matches("\\d{2,5}x\\d{2,5}")) {
			throw new InvalidMediaException("'size' is WIDTHxHEIGHT, such as 720x1280; not '" + size + "'.", "size");
		}
		var references = new ArrayList<Long>();
		var reference = body.get("input_reference");
		if (reference != null && !reference.isNull()) {
			references.add(referenceHash(reference));
		}
		var model = model(body, ModelInfo.VIDEO);
		long checkStarted = System.nanoTime();
		var decision = checkRights(caller, prompt, references, "input_reference");
		phase("rights_check", checkStarted);
		var id = "video_" + HexFormat.of().formatHex(random(12));
		plans.reserveMedia(caller, id, MediaUnit.VIDEO_SECONDS, model, seconds);
		var labels = decision.grants().stream().map(RightsCheck.Grant::label).toList();
		var now = clock.instant();
		try {
			jobs.create(id, caller.person(), model, prompt, seconds, size, String.join("\n", labels), node, now);
		}
		catch (RuntimeException ex) {
			plans.settleMedia(id, "", 0, 0, "failed");
			throw ex;
		}
		var upstream = json.createObjectNode();
		body.properties().forEach(field -> {
			if (!OWNED.contains(field.getKey()) && !field.getKey().equals("seconds")) {
				upstream.set(field.getKey(), field.getValue());
			}
		});
		upstream.put("seconds", Integer.toString(seconds)).put("size", size);
		try {
			running.submit(() -> runVideo(caller, id, model, prompt, seconds, upstream, decision, references));
		}
		catch (java.util.concurrent.RejectedExecutionException stopping) {
			failJob(id, "Familiar is stopping; nothing was charged. Start the video again.");
		}
		return jobs.find(caller.person(), id).orElseThrow();
	}

	private static byte[] random(int bytes) {
		var out = new byte[bytes];
		new java.security.SecureRandom().nextBytes(out);
		return out;
	}

	private void runVideo(Caller caller, String id, String model, String prompt, int seconds, ObjectNode upstream,
			RightsCheck.Decision decision, List<Long> references) {
		String backendName = "";
		long made = 0;
		double wh = 0;
		try {
			// A video job is batch work: it waits for clean or cheap hours where a policy says so (familiar.energy.policies.batch).
			if (!compute.awaitEnergyWindow(org.familiar.compute.WorkloadClass.BATCH, clock.instant(), "video " + id,
					() -> Thread.currentThread().isInterrupted())) {
				throw failed("", model, "Familiar stopped while this video waited for its energy window.");
			}
			var result = compute.media(new MediaCall(id, caller.person().toString(), model, ModelInfo.VIDEO), backend -> {
				var created = answer(backend, backend.post("videos", upstream.deepCopy().put("model", backend.upstreamModel())));
				var remote = created.path("id").asText("");
				if (remote.isEmpty()) {
					throw failed(backend.name(), model, "Backend '" + backend.name() + "' started no job (its answer has no id).");
				}
				jobs.progress(id, VideoJob.Status.IN_PROGRESS, created.path("progress").asInt(0), backend.name(), remote);
				while (true) {
					LockSupport.parkNanos(settings.pollInterval().toNanos());
					if (Thread.currentThread().isInterrupted()) {
						throw failed(backend.name(), model, "Familiar stopped while this video was being made.");
					}
					if (!decision.grants().isEmpty()) {
						// A holder who withdraws (or narrows) permission stops the job at its next poll.
						checkRights(caller, prompt, references, "input_reference");
					}
					var state = answer(backend, backend.get("videos/" + remote));
					var status = state.path("status").asText("");
					if (status.equals("failed")) {
						throw failed(backend.name(), model, "Backend '" + backend.name() + "' could not make the video: "
								+ state.path("error").path("message").asText("no reason given") + ".");
					}
					if (status.equals("completed")) {
						var content = backend.get("videos/" + remote + "/content");
						if (!content.ok()) {
							throw failed(backend.name(), model, "Backend '" + backend.name() + "' made the video but sent no content: "
									+ content.error());
						}
						int length = state.path("seconds").asInt(seconds);
						return new Video(backend.name(), backend.energy(), content.body(), Math.min(length, seconds));
					}
					jobs.progress(id, VideoJob.Status.IN_PROGRESS, Math.min(99, Math.max(0, state.path("progress").asInt(0))), null, null);
				}
			});
			backendName = result.backend();
			var now = clock.instant();
			var kept = media.keep(caller.person(), "video", org.familiar.media.internal.Mp4Manifest.isMp4(result.bytes()) ? "video/mp4" : "application/octet-stream", result.bytes(),
					MediaFile.Origin.AI_GENERATED, model, backendName, prompt, decision.grants(), false, now);
			made = result.seconds();
			wh = result.energy().videoWh(made);
			jobs.completed(id, kept.id(), now);
			for (var grant : decision.grants()) {
				characters.recordUse(grant.character().id(), caller.person(), caller.username(), true, grant.grant(),
						"allowed: " + grant.grant(), prompt, kept.id(), now);
			}
			meters.counter("familiar.media.made", "kind", "video_seconds", "backend", backendName).increment(made);
			meters.counter("familiar.media.energy.wh", "kind", "video", "backend", backendName).increment(wh);
		}
		catch (RuntimeException ex) {
			log.info("Video job {} failed: {}", id, ex.getMessage());
			jobs.failed(id, ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage(), clock.instant());
		}
		finally {
			plans.settleMedia(id, backendName, made, wh, made > 0 ? "completed" : "failed");
		}
	}

	private record Video(String backend, org.familiar.compute.ComputeSettings.MediaEnergy energy, byte[] bytes, long seconds) {
	}

	private void failJob(String id, String why) {
		jobs.failed(id, why, clock.instant());
		plans.settleMedia(id, "", 0, 0, "failed");
	}

	/** The person's job, from any replica. */
	public VideoJob video(Caller caller, String id) {
		return jobs.find(caller.person(), id).orElseThrow(() -> new MediaNotFoundException("No video '" + id + "'."));
	}

	public List<VideoJob> videos(Caller caller, int limit) {
		return jobs.of(caller.person(), limit);
	}

	/** A finished job's video. */
	public MediaManagement.Content videoContent(Caller caller, String id) {
		var job = video(caller, id);
		if (job.file() == null) {
			throw new InvalidMediaException("The video '" + id + "' is " + job.status().id() + "; its content is there once it is completed.",
					null);
		}
		return media.content(caller.person(), job.file());
	}

	/** Familiar's own work on a generation, apart from the backend's: {@code familiar.media.overhead}. */
	private void phase(String phase, long startedNanos) {
		meters.timer("familiar.media.overhead", "phase", phase).record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
	}

	private RightsCheck.Decision checkRights(Caller caller, String prompt, List<Long> references, String pictureField) {
		var decision = RightsCheck.check(characters.registry(), prompt, references, caller.person(), caller.username());
		var refusal = decision.refusal();
		if (refusal != null) {
			characters.recordUse(refusal.character().id(), caller.person(), caller.username(), false, refusal.rule(),
					refusal.message(), prompt, null, clock.instant());
			throw new RightsRestrictedException(refusal.rule(), refusal.character().name(), refusal.message(),
					refusal.pictured() ? pictureField : "prompt");
		}
		return decision;
	}

	/** The backend's JSON answer, or the failure it stands for. */
	private ObjectNode answer(MediaBackend backend, MediaReply reply) {
		if (reply.status() == 429 || reply.status() == 503) {
			throw new BackendUnavailableException(backend.name(), "Backend '" + backend.name() + "' answered " + reply.status()
					+ ": " + reply.error(), null);
		}
		if (reply.status() >= 400 && reply.status() < 500) {
			throw new BackendRejectedException(backend.name(), reply.status(), "Backend '" + backend.name() + "' answered "
					+ reply.status() + ": " + reply.error());
		}
		if (!reply.ok()) {
			throw failed(backend.name(), backend.upstreamModel(), "Backend '" + backend.name() + "' answered " + reply.status()
					+ ": " + reply.error());
		}
		try {
			if (json.readTree(reply.body()) instanceof ObjectNode object) {
				return object;
			}
		}
		catch (java.io.IOException notJson) {
			// said below
		}
		throw failed(backend.name(), backend.upstreamModel(), "Backend '" + backend.name() + "' answered with something that is not a JSON object.");
	}

	private static BackendFailedException failed(String backend, String model, String message) {
		return new BackendFailedException(backend, message,
				new ChatResult("", model, backend, "", FinishReason.STOP, new TokenUsage(0, 0, false)), null);
	}

	private String model(ObjectNode body, String kind) {
		var given = body.get("model");
		if (given != null && !given.isNull()) {
			if (!given.isTextual() || given.textValue().isBlank()) {
				throw new InvalidMediaException("'model' must be a model's name.", "model");
			}
			return given.textValue();
		}
		return compute.models().stream().filter(m -> kind.equals(m.kind()) && m.available()).map(ModelInfo::id).findFirst()
			.orElseThrow(() -> new InvalidMediaException("No backend offers a model that makes "
					+ (kind.equals(ModelInfo.IMAGE) ? "images" : "videos") + "; name one in 'model', or configure one (docs/media.md).",
					"model"));
	}

	private static String prompt(ObjectNode body) {
		var prompt = body.get("prompt");
		if (prompt == null || !prompt.isTextual() || prompt.textValue().isBlank()) {
			throw new InvalidMediaException("'prompt' is required: say what to make.", "prompt");
		}
		if (prompt.textValue().length() > 32_000) {
			throw new InvalidMediaException("'prompt' may be at most 32000 characters.", "prompt");
		}
		return prompt.textValue();
	}

	private static String text(@Nullable JsonNode node, String field, String otherwise) {
		if (node == null || node.isNull()) {
			return otherwise;
		}
		if (!node.isTextual()) {
			throw new InvalidMediaException("'" + field + "' must be a string.", field);
		}
		return node.textValue();
	}

	/** A whole number in bounds, given as a number or (as OpenAI's video {@code seconds}) a string. */
	private static int count(@Nullable JsonNode node, String field, int min, int max, int otherwise) {
		if (node == null || node.isNull()) {
			return otherwise;
		}
		int value;
		if (node.isIntegralNumber() && node.canConvertToInt()) {
			value = node.intValue();
		}
		else if (node.isTextual() && node.textValue().matches("\\d{1,6}")) {
			value = Integer.parseInt(node.textValue());
		}
		else {
			throw new InvalidMediaException("'" + field + "' must be a whole number from " + min + " to " + max + ".", field);
		}
		if (value < min || value > max) {
			throw new InvalidMediaException("'" + field + "' must be from " + min + " to " + max + "; it is " + value + ".", field);
		}
		return value;
	}

	/** An {@code input_reference} as a data URL ({@code data:image/png;base64,…}) or {@code {"image_url": …}}. */
	private static long referenceHash(JsonNode reference) {
		var url = reference.isTextual() ? reference.textValue() : reference.path("image_url").asText("");
		int comma = url.indexOf(',');
		if (!url.startsWith("data:image/") || comma < 0 || !url.substring(0, comma).endsWith(";base64")) {
			throw new InvalidMediaException("'input_reference' must be an image as a data URL (data:image/png;base64,…).",
					"input_reference");
		}
		byte[] bytes;
		try {
			bytes = Base64.getDecoder().decode(url.substring(comma + 1));
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidMediaException("'input_reference' is not valid base64.", "input_reference");
		}
		var hash = ImageHash.of(bytes);
		if (hash == null) {
			throw new InvalidMediaException("'input_reference' is not an image Familiar can read (PNG, JPEG, GIF, BMP).",
					"input_reference");
		}
		return hash;
	}

	static String contentType(byte[] image) {
		if (org.familiar.media.internal.PngManifest.isPng(image)) {
			return "image/png";
		}
		if (image.length > 3 && (image[0] & 0xff) == 0xff && (image[1] & 0xff) == 0xd8) {
			return "image/jpeg";
		}
		if (image.length > 12 && new String(image, 8, 4, java.nio.charset.StandardCharsets.ISO_8859_1).equals("WEBP")) {
			return "image/webp";
		}
		return "application/octet-stream";
	}


	@jakarta.annotation.PreDestroy
	void stop() {
		running.shutdownNow();
		try {
			running.awaitTermination(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}
}
