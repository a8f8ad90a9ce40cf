package org.familiar.media;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.familiar.identity.Caller;
import org.familiar.identity.PersonId;
import org.familiar.identity.PersonalData;
import org.familiar.media.internal.Characters;
import org.familiar.media.internal.ImageHash;
import org.familiar.media.internal.Manifests;
import org.familiar.media.internal.MediaFiles;
import org.familiar.media.internal.Mp4Manifest;
import org.familiar.media.internal.PngManifest;
import org.familiar.media.internal.RightsCheck;
import org.familiar.media.internal.VideoJobs;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The media module's entry point for what is kept: each file with its signed manifest (in the PNG
 * or MP4 itself, and as a sidecar for any format), checking where a file came from, a person's
 * own uploads, and the registry of characters and likenesses with their rules and uses.
 * {@link MediaGeneration} makes the files.
 */
@Service
public class MediaManagement implements PersonalData {

	private final MediaFiles files;

	private final Characters characters;

	private final VideoJobs jobs;

	private final Manifests manifests;

	private final MediaSettings settings;

	private final Clock clock;

	private final io.micrometer.core.instrument.MeterRegistry meters;

	MediaManagement(MediaFiles files, Characters characters, VideoJobs jobs, Manifests manifests, MediaSettings settings,
			Clock clock, io.micrometer.core.instrument.MeterRegistry meters) {
		this.meters = meters;
		this.files = files;
		this.characters = characters;
		this.jobs = jobs;
		this.manifests = manifests;
		this.settings = settings;
		this.clock = clock;
	}

	/** A file as kept: its id, its bytes as served (manifest inside if the format has room), its link key. */
	public record Kept(UUID id, byte[] bytes, @Nullable String linkKey) {
	}

	/** A file's bytes, its type and its manifest (the sidecar). */
	public record Content(String contentType, byte[] bytes, String manifest) {
	}

	/**
	 * Signs a manifest for a file and keeps it: embedded in a PNG ({@code iTXt}) or an MP4 ({@code uuid}
	 * box), and kept as the sidecar for every format.
	 * @param link whether to make a link that works without signing in for {@code url-lifetime}
	 */
	Kept keep(PersonId owner, String kind, String contentType, byte[] content, MediaFile.Origin origin, @Nullable String model,
			@Nullable String backend, @Nullable String prompt, List<RightsCheck.Grant> grants, boolean link, Instant now) {
		var id = UUID.randomUUID();
		var claims = new LinkedHashMap<String, Object>();
		claims.put("manifest", "familiar/1");
		claims.put("id", id.toString());
		claims.put("made_with", "Familiar");
		claims.put("origin", origin.id());
		if (model != null) {
			claims.put("model", model);
		}
		if (backend != null) {
			claims.put("backend", backend);
		}
		claims.put("made_at", now.toString());
		claims.put("made_by", pseudonym(owner));
		var used = new ArrayList<Map<String, Object>>();
		for (var grant : grants) {
			var entry = new LinkedHashMap<String, Object>();
			entry.put("name", grant.character().name());
			entry.put("handle", "@" + grant.character().handle());
			entry.put("kind", grant.character().kind().id());
			entry.put("grant", grant.grant());
			if (!grant.character().attribution().isBlank()) {
				entry.put("attribution", grant.character().attribution());
			}
			used.add(entry);
		}
		claims.put("characters", used);
		claims.put("content_type", contentType);
		long signing = System.nanoTime();
		var jws = manifests.sign(claims, content);
		var served = PngManifest.isPng(content) ? PngManifest.embed(content, jws)
				: Mp4Manifest.isMp4(content) ? Mp4Manifest.embed(content, jws) : content;
		long storing = System.nanoTime();
		meters.timer("familiar.media.overhead", "phase", "sign_embed").record(storing - signing, java.util.concurrent.TimeUnit.NANOSECONDS);
		String key = null;
		String keyHash = null;
		if (link) {
			var random = new byte[24];
			new java.security.SecureRandom().nextBytes(random);
			key = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
			keyHash = Manifests.sha256(key);
		}
		files.save(new MediaFiles.Stored(id, owner, kind, contentType, served, Manifests.sha256(content), origin, model, backend,
				prompt, grants.stream().map(RightsCheck.Grant::label).toList(), jws, keyHash,
				link ? now.plus(settings.urlLifetime()) : null, now));
		meters.timer("familiar.media.overhead", "phase", "store").record(System.nanoTime() - storing,
				java.util.concurrent.TimeUnit.NANOSECONDS);
		return new Kept(id, served, key);
	}

	/** "familiar-…": the same for the same person in every manifest, and not their account id. */
	static String pseudonym(PersonId person) {
		return "familiar-" + UUID.nameUUIDFromBytes(("manifest:" + person.value()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
	}

	public List<MediaFile> gallery(PersonId owner, int limit) {
		return files.of(owner, limit);
	}

	public MediaFile file(PersonId owner, UUID id) {
		return files.find(owner, id).orElseThrow(() -> new MediaNotFoundException("No file " + id + "."));
	}

	public Content content(PersonId owner, UUID id) {
		return files.content(owner, id)
			.orElseThrow(() -> new MediaNotFoundException("No file " + id + "."));
	}

	/** A file behind a {@code url} link, while the link lasts. */
	public Content linked(String key) {
		return files.byLink(Manifests.sha256(key), clock.instant())
			.orElseThrow(() -> new MediaNotFoundException("This link does not exist or has expired."));
	}

	public boolean delete(PersonId owner, UUID id) {
		return files.delete(owner, id);
	}

	/**
	 * Keeps a person's own upload with a manifest that says so: human-made if they say they made
	 * it without AI, else just uploaded.
	 * @throws InvalidMediaException if it is empty, too large, or not a PNG, JPEG, WebP or MP4
	 */
	public MediaFile upload(Caller caller, byte[] bytes, boolean humanMade) {
		if (bytes.length == 0) {
			throw new InvalidMediaException("The file is empty.", "file");
		}
		if (bytes.length > settings.maxUploadBytes()) {
			throw new InvalidMediaException("The file is larger than " + settings.maxUploadBytes() + " bytes.", "file");
		}
		var type = Mp4Manifest.isMp4(bytes) ? "video/mp4" : MediaGeneration.contentType(bytes);
		if (type.equals("application/octet-stream")) {
			throw new InvalidMediaException("Upload a PNG, JPEG or WebP image or an MP4 video.", "file");
		}
		var stripped = PngManifest.isPng(bytes) ? PngManifest.strip(bytes) : Mp4Manifest.isMp4(bytes) ? Mp4Manifest.strip(bytes)
				: new PngManifest.Stripped(null, bytes);
		if (stripped.jws() != null) {
			var checked = manifests.check(stripped.jws());
			if (checked != null && checked.signatureValid() && !"human-made".equals(checked.claims().get("origin"))
					&& humanMade) {
				throw new InvalidMediaException("This file carries Familiar's manifest saying it was "
						+ checked.claims().get("origin") + "; it cannot be marked human-made.", "human_made");
			}
		}
		var kept = keep(caller.person(), type.startsWith("video/") ? "video" : "image", type, stripped.content(),
				humanMade ? MediaFile.Origin.HUMAN_MADE : MediaFile.Origin.UPLOADED, null, null, null, List.of(), false,
				clock.instant());
		return file(caller.person(), kept.id());
	}

	/**
	 * Where a file came from: its embedded manifest (or the sidecar sent with it) checked against
	 * Familiar's published keys, and the file checked against the manifest's hash.
	 * @param sidecar the manifest kept beside the file, for formats that carry none inside
	 */
	public Verification verify(byte[] file, @Nullable String sidecar) {
		if (file.length > settings.maxUploadBytes()) {
			throw new InvalidMediaException("The file is larger than " + settings.maxUploadBytes() + " bytes.", "file");
		}
		var stripped = PngManifest.isPng(file) ? PngManifest.strip(file) : Mp4Manifest.isMp4(file) ? Mp4Manifest.strip(file)
				: new PngManifest.Stripped(null, file);
		var jws = stripped.jws() != null ? stripped.jws() : sidecar != null && !sidecar.isBlank() ? sidecar : null;
		boolean known = files.known(Manifests.sha256(file)) || files.known(Manifests.sha256(stripped.content()));
		if (jws == null) {
			return new Verification(false, false, false, null, Map.of(), known, known
					? "This file carries no manifest, but Familiar made or kept a file with exactly these bytes: its manifest was removed."
					: "This file carries no Familiar manifest. It may have been made anywhere, or its manifest was removed.");
		}
		var checked = manifests.check(jws);
		if (checked == null) {
			return new Verification(true, false, false, null, Map.of(), known,
					"This file carries something in Familiar's manifest place that is not a manifest.");
		}
		boolean unaltered = checked.signatureValid() && checked.matches(stripped.content());
		String summary;
		if (!checked.signatureValid()) {
			summary = "The manifest's signature does not verify with Familiar's keys: it was changed, or another server signed it.";
		}
		else if (!unaltered) {
			summary = "Familiar signed this manifest, but the file was altered after it was signed.";
		}
		else {
			var origin = MediaFile.Origin.of(String.valueOf(checked.claims().getOrDefault("origin", "uploaded")));
			summary = switch (origin) {
				case AI_GENERATED -> "Made with Familiar by " + checked.claims().get("made_by") + " using "
						+ checked.claims().get("model") + " on " + checked.claims().get("made_at") + "; unaltered since.";
				case AI_EDITED -> "Edited with AI in Familiar by " + checked.claims().get("made_by") + " using "
						+ checked.claims().get("model") + " on " + checked.claims().get("made_at") + "; unaltered since.";
				case HUMAN_MADE -> "Uploaded to Familiar on " + checked.claims().get("made_at") + " by "
						+ checked.claims().get("made_by") + ", who says it is human-made; unaltered since.";
				case UPLOADED -> "Uploaded to Familiar on " + checked.claims().get("made_at") + "; unaltered since.";
			};
		}
		return new Verification(true, checked.signatureValid(), unaltered, checked.keyId(), checked.claims(), known, summary);
	}

	// The registry

	/**
	 * Registers a character (anyone may hold one) or the caller's own likeness (one each).
	 * @throws InvalidMediaException if a field is wrong or the handle is taken
	 */
	@Transactional
	public Character register(PersonId holder, Character.Rules rules) {
		var checked = checked(rules, null);
		if (checked.kind() == CharacterKind.LIKENESS
				&& characters.heldBy(holder).stream().anyMatch(c -> c.kind() == CharacterKind.LIKENESS)) {
			throw new InvalidMediaException("You have registered your likeness already; change its rules instead.", "kind");
		}
		try {
			return characters.register(holder, checked, clock.instant());
		}
		catch (org.springframework.dao.DuplicateKeyException raced) {
			throw new InvalidMediaException("The handle '@" + checked.handle() + "' is taken.", "handle");
		}
	}

	@Transactional
	public Character update(PersonId holder, UUID id, Character.Rules rules) {
		var current = held(holder, id);
		var checked = checked(new Character.Rules(current.kind(), rules.name(), rules.handle(), rules.aliases(), rules.description(),
				rules.audience(), rules.approved(), rules.forbiddenThemes(), rules.attribution(), rules.featureMe()), id);
		try {
			characters.update(holder, id, checked);
		}
		catch (org.springframework.dao.DuplicateKeyException raced) {
			throw new InvalidMediaException("The handle '@" + checked.handle() + "' is taken.", "handle");
		}
		return held(holder, id);
	}

	/** Withdraws every permission to use it, from the next request on, on every replica. */
	public Character withdraw(PersonId holder, UUID id) {
		held(holder, id);
		characters.withdraw(holder, id, clock.instant());
		return held(holder, id);
	}

	public Character restore(PersonId holder, UUID id) {
		held(holder, id);
		characters.withdraw(holder, id, null);
		return held(holder, id);
	}

	/**
	 * Adds a reference image: a request whose reference image is the same picture uses the entry.
	 * @throws InvalidMediaException if it is not an image the JDK can read
	 */
	public Character addReference(PersonId holder, UUID id, byte[] image) {
		held(holder, id);
		if (image.length > settings.maxUploadBytes()) {
			throw new InvalidMediaException("The image is larger than " + settings.maxUploadBytes() + " bytes.", "file");
		}
		var hash = ImageHash.of(image);
		if (hash == null) {
			throw new InvalidMediaException("A reference image is a PNG, JPEG, GIF or BMP Familiar can read.", "file");
		}
		characters.addReference(id, image, MediaGeneration.contentType(image), hash);
		return held(holder, id);
	}

	public List<Character> held(PersonId holder) {
		return characters.heldBy(holder);
	}

	public Character held(PersonId holder, UUID id) {
		return characters.find(id).filter(c -> c.holder().equals(holder))
			.orElseThrow(() -> new MediaNotFoundException("No character " + id + " of yours."));
	}

	/** How often, by whom and with what an entry was used or refused; its holder's only. */
	public List<Character.Use> uses(PersonId holder, UUID id, int limit) {
		held(holder, id);
		return characters.uses(holder, id, limit);
	}

	/** Entries whose holders asked to be featured and that this person may use. */
	public List<Character> featuredFor(Caller caller) {
		return characters.featured().stream()
			.filter(c -> c.holder().equals(caller.person()) || c.audience() == Audience.EVERYONE
					|| c.audience() == Audience.APPROVED && c.approved().stream().anyMatch(a -> a.equalsIgnoreCase(caller.username())))
			.toList();
	}

	private Character.Rules checked(Character.Rules rules, @Nullable UUID id) {
		var name = rules.name().strip();
		if (name.isEmpty() || name.length() > 200) {
			throw new InvalidMediaException("'name' is required, at most 200 characters.", "name");
		}
		var handle = rules.handle().strip().toLowerCase(Locale.ROOT);
		if (handle.startsWith("@")) {
			handle = handle.substring(1);
		}
		if (!handle.matches("[\\p{L}\\p{N}_-]{2,64}")) {
			throw new InvalidMediaException("'handle' is 2–64 letters, digits, _ or -.", "handle");
		}
		if (characters.handleTaken(handle, id)) {
			throw new InvalidMediaException("The handle '@" + handle + "' is taken.", "handle");
		}
		var aliases = clean(rules.aliases(), "aliases");
		var themes = clean(rules.forbiddenThemes(), "forbidden_themes");
		var approved = clean(rules.approved(), "approved");
		if (rules.description().length() > 4000) {
			throw new InvalidMediaException("'description' may be at most 4000 characters.", "description");
		}
		if (rules.attribution().length() > 500) {
			throw new InvalidMediaException("'attribution' may be at most 500 characters.", "attribution");
		}
		return new Character.Rules(rules.kind(), name, handle, aliases, rules.description().strip(), rules.audience(), approved,
				themes, rules.attribution().strip(), rules.featureMe());
	}

	private static List<String> clean(List<String> values, String field) {
		var out = values.stream().map(String::strip).filter(v -> !v.isEmpty()).distinct().toList();
		if (out.size() > 50 || out.stream().anyMatch(v -> v.length() > 100 || v.contains("\n"))) {
			throw new InvalidMediaException("'" + field + "' is at most 50 entries of at most 100 characters each.", field);
		}
		return out;
	}

	// Personal data

	@Override
	public String section() {
		return "media";
	}

	@Override
	public Object export(PersonId person) {
		var data = new LinkedHashMap<String, Object>();
		data.put("files", files.of(person, 10_000));
		data.put("videos", jobs.of(person, 10_000));
		data.put("characters", characters.heldBy(person));
		return data;
	}

	@Override
	public void erase(PersonId person) {
		files.erase(person);
		jobs.erase(person);
		characters.erase(person);
	}
}
