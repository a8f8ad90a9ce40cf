package org.familiar.assistant.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.familiar.identity.Caller;
import org.familiar.identity.ScopeMissingException;
import org.familiar.identity.Scopes;
import org.familiar.media.MediaGeneration;
import org.familiar.media.VideoJob;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

/**
 * OpenAI's media endpoints: {@code POST /v1/images/generations}, {@code POST /v1/images/edits} and the video jobs
 * ({@code POST /v1/videos}, {@code GET /v1/videos}, {@code GET /v1/videos/{id}},
 * {@code GET /v1/videos/{id}/content}), made by the {@code media} module, as the caller, on
 * their plan. Errors are OpenAI-shaped ({@link OpenAiErrors}); a registered character's rules
 * refusing the request is a 403 {@code rights_restricted}.
 */
@RestController
@RequestMapping("/v1")
class ImagesAndVideosApi {

	private final MediaGeneration generation;

	private final ObjectMapper json;

	ImagesAndVideosApi(MediaGeneration generation, ObjectMapper json) {
		this.generation = generation;
		this.json = json;
	}

	@PostMapping(path = "/images/generations", consumes = MediaType.APPLICATION_JSON_VALUE)
	ObjectNode images(@RequestBody byte[] raw) {
		var link = ServletUriComponentsBuilder.fromCurrentContextPath().path("/media/link/").toUriString();
		return generation.generateImages(caller(), body(raw), link);
	}

	/**
	 * OpenAI's image edits, as multipart form data: {@code image} (or {@code image[]}, several),
	 * an optional {@code mask}, {@code prompt} and the other fields, passed on as a form.
	 */
	@PostMapping(path = "/images/edits", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
	ObjectNode edit(jakarta.servlet.http.HttpServletRequest form) throws java.io.IOException, jakarta.servlet.ServletException {
		var fields = new java.util.LinkedHashMap<String, String>();
		var parts = new java.util.ArrayList<org.familiar.compute.MediaBackend.Part>();
		// Every part, with a file name or not: SDKs differ in whether they name an image part's file.
		for (var part : form.getParts()) {
			var name = part.getName();
			if (name.equals("image") || name.equals("image[]") || name.equals("mask")) {
				parts.add(new org.familiar.compute.MediaBackend.Part(name,
						part.getSubmittedFileName() == null ? name.replace("[]", "") + ".png" : part.getSubmittedFileName(),
						part.getContentType() == null ? "application/octet-stream" : part.getContentType(),
						part.getInputStream().readAllBytes()));
			}
			else if (part.getSubmittedFileName() != null) {
				throw new InvalidRequestException("Unknown file part '" + name + "': image edits take image and mask.", name);
			}
			else {
				fields.putIfAbsent(name, new String(part.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
			}
		}
		var link = ServletUriComponentsBuilder.fromCurrentContextPath().path("/media/link/").toUriString();
		return generation.editImages(caller(), fields, parts, link);
	}

	@PostMapping(path = "/videos", consumes = MediaType.APPLICATION_JSON_VALUE)
	ObjectNode startVideo(@RequestBody byte[] raw) {
		return video(generation.startVideo(caller(), body(raw)));
	}

	/**
	 * The same as multipart form data, as OpenAI's SDKs send it: the text fields as they are,
	 * {@code input_reference} (a file) as a data URL.
	 */
	@PostMapping(path = "/videos", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
	ObjectNode startVideoFromForm(org.springframework.web.multipart.MultipartHttpServletRequest form) throws java.io.IOException {
		var body = json.createObjectNode();
		form.getParameterMap().forEach((name, values) -> {
			if (values.length > 0) {
				body.put(name, values[0]);
			}
		});
		var reference = form.getFile("input_reference");
		if (reference != null && !reference.isEmpty()) {
			var type = reference.getContentType() == null ? "image/png" : reference.getContentType();
			body.putObject("input_reference").put("image_url",
					"data:" + type + ";base64," + java.util.Base64.getEncoder().encodeToString(reference.getBytes()));
		}
		return video(generation.startVideo(caller(), body));
	}

	@GetMapping("/videos")
	ObjectNode videos(@RequestParam(defaultValue = "20") int limit) {
		var list = json.createObjectNode().put("object", "list");
		var data = list.putArray("data");
		generation.videos(caller(), Math.max(1, Math.min(100, limit))).forEach(job -> data.add(video(job)));
		return list;
	}

	@GetMapping("/videos/{id}")
	ObjectNode video(@PathVariable String id) {
		return video(generation.video(caller(), id));
	}

	@GetMapping("/videos/{id}/content")
	ResponseEntity<byte[]> content(@PathVariable String id) {
		var content = generation.videoContent(caller(), id);
		return ResponseEntity.ok().contentType(MediaType.parseMediaType(content.contentType())).body(content.bytes());
	}

	private ObjectNode video(VideoJob job) {
		var out = json.createObjectNode()
			.put("id", job.id())
			.put("object", "video")
			.put("model", job.model())
			.put("status", job.status().id())
			.put("progress", job.progress())
			.put("created_at", job.createdAt().getEpochSecond())
			.put("seconds", Integer.toString(job.seconds()))
			.put("size", job.size())
			.put("prompt", job.prompt());
		Instant completed = job.completedAt();
		if (completed != null) {
			out.put("completed_at", completed.getEpochSecond());
		}
		if (job.error() != null) {
			out.putObject("error").put("code", "video_failed").put("message", job.error());
		}
		return out;
	}

	private ObjectNode body(byte[] raw) {
		if (!(ChatBody.parse(json, raw) instanceof ObjectNode body)) {
			throw new InvalidRequestException("The request body must be a JSON object.", null);
		}
		return body;
	}

	private static Caller caller() {
		var caller = Caller.of(SecurityContextHolder.getContext().getAuthentication())
			.orElseThrow(() -> new InsufficientAuthenticationException("No caller for this request"));
		ScopeMissingException.require(caller, Scopes.ASSISTANT);
		return caller;
	}
}
