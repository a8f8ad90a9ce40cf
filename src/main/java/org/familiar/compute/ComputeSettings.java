package org.familiar.compute;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.familiar.compute.capacity.CapacityScheduler;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Model backends, routing, the capacity policy and the embedded engine, bound from
 * {@code familiar.*}; every key is listed in {@code docs/configuration.md}.
 *
 * @param home where Familiar keeps its database, keys and downloaded models
 * @param backends OpenAI-compatible servers by name ({@code familiar.backends.NAME.url})
 * @param aliases model names that stand for one or more models ({@code familiar.aliases.default=a,b})
 * @param embedded the in-JVM engine
 * @param healthCheckInterval how often backends are probed ({@code GET /models})
 * @param capacity how backend slots are shared between workload classes
 * @param breaker when a failing backend is taken out of rotation, and for how long
 */
@ConfigurationProperties("familiar")
public record ComputeSettings(Path home, Map<String, Backend> backends, Map<String, List<String>> aliases,
		@DefaultValue Embedded embedded, @DefaultValue("PT30S") Duration healthCheckInterval,
		@DefaultValue Capacity capacity, @DefaultValue Breaker breaker) {

	public ComputeSettings {
		// Configuration order is kept: it breaks ties between equally loaded backends at start.
		backends = backends == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(backends));
		aliases = aliases == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(aliases));
	}

	/**
	 * @param url base URL of the OpenAI-compatible API, ending in {@code /v1}
	 * @param apiKey sent as a bearer token, if set
	 * @param models the models to offer; when empty, discovered from {@code GET /models}
	 * @param maxConcurrent how many requests the backend gets at once (its slots)
	 * @param timeout how long the backend may stay silent before a request to it is given up
	 * @param weight how much load the backend takes relative to others serving the same model
	 * @param joulesPerToken energy per token, prompt or reply, when the two are not given apart
	 * @param joulesPerPromptToken energy per prompt token; defaults from {@code joulesPerToken}
	 * @param joulesPerCompletionToken energy per generated token; defaults from {@code joulesPerToken}
	 * @param trusted whether held-out evaluation items may be sent here (the operator vouches that it
	 * neither keeps nor trains on what it is sent); the embedded engine always is
	 * @param contextLength how many tokens its models read at once (prompt and reply together); the
	 * web chat sizes attached files against it
	 * @param imageModels models it serves that make images, in addition to {@code models} (or to
	 *     those discovered); a discovered model's kind is otherwise told by its name
	 * @param videoModels models it serves that make videos as jobs ({@code /videos})
	 * @param joulesPerImage energy of one generated image (default {@value #DEFAULT_JOULES_PER_IMAGE})
	 * @param joulesPerVideoSecond energy of one second of generated video (default
	 *     {@value #DEFAULT_JOULES_PER_VIDEO_SECOND})
	 * @param power where the backend's host reports its power draw, if anywhere: then each
	 *     request's energy is measured, not estimated
	 */
	public record Backend(URI url, @Nullable String apiKey, @DefaultValue List<String> models,
			@DefaultValue("8") int maxConcurrent, @DefaultValue("PT10M") Duration timeout,
			@DefaultValue("1") double weight, @Nullable Double joulesPerToken, @Nullable Double joulesPerPromptToken,
			@Nullable Double joulesPerCompletionToken, @DefaultValue("false") boolean trusted,
			@DefaultValue("8192") int contextLength, @DefaultValue List<String> imageModels,
			@DefaultValue List<String> videoModels, @Nullable Double joulesPerImage, @Nullable Double joulesPerVideoSecond,
			@Nullable Power power) {

		/**
		 * An open diffusion model's image on a data-centre GPU: about 2.9 Wh (Luccioni et al., "Power
		 * Hungry Processing", 2024: 2.9 kWh per 1,000 generations), an order of magnitude only.
		 */
		public static final double DEFAULT_JOULES_PER_IMAGE = 10_000;

		/**
		 * An open text-to-video model: of the order of 100 Wh per second of video (Hugging Face's 2025
		 * measurements put a few-second clip near 1 kWh); an order of magnitude only.
		 */
		public static final double DEFAULT_JOULES_PER_VIDEO_SECOND = 400_000;

		MediaEnergy mediaEnergy() {
			return new MediaEnergy(joulesPerImage != null ? joulesPerImage : DEFAULT_JOULES_PER_IMAGE,
					joulesPerVideoSecond != null ? joulesPerVideoSecond : DEFAULT_JOULES_PER_VIDEO_SECOND);
		}

		/** Default energy of a GPU-served 7–70B model, see docs/configuration.md#energy. */
		static final double DEFAULT_JOULES_PER_COMPLETION_TOKEN = 2.0;

		static final double DEFAULT_JOULES_PER_PROMPT_TOKEN = 0.2;

		Energy energy() {
			return new Energy(
					joulesPerPromptToken != null ? joulesPerPromptToken
							: joulesPerToken != null ? joulesPerToken : DEFAULT_JOULES_PER_PROMPT_TOKEN,
					joulesPerCompletionToken != null ? joulesPerCompletionToken
							: joulesPerToken != null ? joulesPerToken : DEFAULT_JOULES_PER_COMPLETION_TOKEN);
		}
	}

	/**
	 * A Prometheus endpoint the backend's host already exports, scraped by Familiar.
	 * @param url the exporter's metrics page, e.g. {@code http://gpu-host:9400/metrics} (NVIDIA DCGM
	 *     exporter) or {@code http://gpu-host:9100/metrics} (node exporter)
	 * @param metric the series to read; every series of that name is summed (all GPUs or packages
	 *     of the host). A name ending in {@code _total} is a counter of joules (node exporter's
	 *     {@code node_rapl_package_joules_total}); any other is a gauge of watts (DCGM's
	 *     {@code DCGM_FI_DEV_POWER_USAGE}, the default)
	 * @param interval how often it is scraped; a request's energy is known at the first scrape
	 *     after it ends
	 */
	public record Power(URI url, @DefaultValue("DCGM_FI_DEV_POWER_USAGE") String metric,
			@DefaultValue("PT5S") Duration interval) {

		/** Whether the metric counts joules (a counter) rather than reporting watts (a gauge). */
		public boolean counter() {
			return metric.endsWith("_total");
		}
	}

	/** Joules per generated image and per second of generated video, for the ledger's energy figures. */
	public record MediaEnergy(double joulesPerImage, double joulesPerVideoSecond) {

		public double imagesWh(int images) {
			return images * joulesPerImage / 3600.0;
		}

		public double videoWh(double seconds) {
			return seconds * joulesPerVideoSecond / 3600.0;
		}
	}

	/** Joules per prompt and per generated token, for the ledger's energy figures. */
	public record Energy(double joulesPerPromptToken, double joulesPerCompletionToken) {

		/** Watt-hours for a request's tokens. */
		public double wattHours(TokenUsage usage) {
			return (usage.promptTokens() * joulesPerPromptToken + usage.completionTokens() * joulesPerCompletionToken)
					/ 3600.0;
		}
	}

	/**
	 * @param enabled whether the embedded engine is offered at all
	 * @param model the Hugging Face repository of the model ({@code owner/name}, jlama format)
	 * @param modelsDir where models live; defaults to {@code familiar.home/models}
	 * @param maxConcurrent generations at once (each uses all cores)
	 * @param maxTokens the longest reply when a request sets no limit
	 * @param joulesPerToken energy per generated token on this machine's CPU (prompt tokens count a tenth)
	 */
	public record Embedded(@DefaultValue("true") boolean enabled,
			@DefaultValue("tjake/Llama-3.2-1B-Instruct-JQ4") String model, @Nullable Path modelsDir,
			@DefaultValue("1") int maxConcurrent,
			@DefaultValue("512") int maxTokens, @DefaultValue("1.5") double joulesPerToken) {

		Energy energy() {
			return new Energy(joulesPerToken / 10, joulesPerToken);
		}
	}

	/**
	 * @param classes the policy per workload class; keys left out keep their defaults
	 * @param disconnectCheck how often a waiting request checks that its caller is still there
	 */
	public record Capacity(Map<String, ClassPolicy> classes, @DefaultValue("PT0.2S") Duration disconnectCheck) {

		/**
		 * The default policy: when capacity is short, research gets the largest share, chat keeps a
		 * floor of one slot per backend so it never starves, and research leaves two slots of every
		 * backend free, so that two conversations at a time start at once instead of waiting for an
		 * evaluation item to finish (bench/mixed: chat p95 1.67x with research taking every slot,
		 * 0.97x with two left free).
		 */
		static final Map<WorkloadClass, CapacityScheduler.Policy> DEFAULTS = Map.of(
				WorkloadClass.INTERACTIVE, new CapacityScheduler.Policy(3, 1, 100, Duration.ofSeconds(30)),
				WorkloadClass.APP, new CapacityScheduler.Policy(2, 0, 100, Duration.ofSeconds(30)),
				WorkloadClass.BATCH, new CapacityScheduler.Policy(1, 0, 1000, Duration.ofMinutes(5)),
				WorkloadClass.RESEARCH, new CapacityScheduler.Policy(4, 0, 1000, Duration.ofMinutes(10), 2));

		public Capacity {
			classes = classes == null ? Map.of() : Map.copyOf(classes);
			for (var name : classes.keySet()) {
				if (WorkloadClass.parse(name).isEmpty()) {
					throw new IllegalArgumentException("familiar.capacity.classes." + name
							+ " is not a workload class; use interactive, app, batch or research");
				}
			}
		}

		/** The configured policy for every class, defaults filled in. */
		public Map<WorkloadClass, CapacityScheduler.Policy> policies() {
			var policies = new EnumMap<WorkloadClass, CapacityScheduler.Policy>(WorkloadClass.class);
			for (var workload : WorkloadClass.values()) {
				var fallback = DEFAULTS.get(workload);
				var configured = classes.entrySet()
					.stream()
					.filter(e -> WorkloadClass.parse(e.getKey()).orElseThrow() == workload)
					.map(Map.Entry::getValue)
					.findFirst()
					.orElse(new ClassPolicy(null, null, null, null, null));
				policies.put(workload,
						new CapacityScheduler.Policy(configured.share() != null ? configured.share() : fallback.share(),
								configured.floor() != null ? configured.floor() : fallback.floor(),
								configured.maxQueue() != null ? configured.maxQueue() : fallback.maxQueue(),
								configured.maxWait() != null ? configured.maxWait() : fallback.maxWait(),
								configured.headroom() != null ? configured.headroom() : fallback.headroom()));
			}
			return policies;
		}
	}

	/**
	 * One class's policy; any key left out keeps its default.
	 * @param share weight under contention, relative to the other classes
	 * @param floor slots per backend the class is served first for while it has demand
	 * @param maxQueue the most requests of the class that wait per backend
	 * @param maxWait the longest a request waits for a slot before it gets 429
	 * @param headroom slots per backend the class leaves free for the others even when they are idle
	 */
	public record ClassPolicy(@Nullable Double share, @Nullable Integer floor, @Nullable Integer maxQueue,
			@Nullable Duration maxWait, @Nullable Integer headroom) {
	}

	/**
	 * A circuit breaker per backend (Resilience4j): over the last {@code window} calls, once
	 * {@code minimumCalls} were made, a failure rate of {@code failureRate} percent takes the
	 * backend out for {@code cooldown}; then a few trial calls decide whether it is back.
	 */
	public record Breaker(@DefaultValue("50") float failureRate, @DefaultValue("5") int minimumCalls,
			@DefaultValue("20") int window, @DefaultValue("PT30S") Duration cooldown) {
	}
}
