package org.familiar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes manifests under {@code deploy/kubernetes}, rendered by {@code kubectl kustomize}
 * as an operator would, read back and checked: replicas on PostgreSQL and Redis, probes on the
 * actuator, the image's user, a graceful stop longer than the streams' grace, a disruption budget
 * and an autoscaler that leave at least two replicas, and services that point where the settings
 * say. Runs where kubectl is installed (CI installs Debian's kubernetes-client).
 */
@EnabledIf("kubectl")
class KubernetesManifestsTests {

	static boolean kubectl() {
		return Files.isExecutable(Path.of("/usr/bin/kubectl")) || Files.isExecutable(Path.of("/usr/local/bin/kubectl"));
	}

	@SuppressWarnings("unchecked")
	private static List<Map<String, Object>> render(String overlay) throws IOException, InterruptedException {
		var process = new ProcessBuilder("kubectl", "kustomize", "deploy/kubernetes/overlays/" + overlay)
			.redirectErrorStream(true)
			.start();
		var out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
		assertThat(process.exitValue()).as(out).isZero();
		var documents = new ArrayList<Map<String, Object>>();
		new Yaml().loadAll(out).forEach(document -> documents.add((Map<String, Object>) document));
		return documents;
	}

	private static Map<String, Object> one(List<Map<String, Object>> documents, String kind, String name) {
		return documents.stream()
			.filter(d -> kind.equals(d.get("kind")) && name.equals(at(d, "metadata", "name")))
			.findFirst()
			.orElseThrow(() -> new AssertionError("no " + kind + " " + name));
	}

	@SuppressWarnings("unchecked")
	private static <T> T at(Object node, Object... path) {
		var current = node;
		for (var step : path) {
			current = step instanceof Integer index ? ((List<Object>) current).get(index)
					: ((Map<String, Object>) current).get(step);
			if (current == null) {
				throw new AssertionError("nothing at " + List.of(path));
			}
		}
		return (T) current;
	}

	@Test
	void theBundledOverlayRunsReplicasOnItsOwnPostgresAndRedis() throws Exception {
		var documents = render("bundled");
		checkServer(documents);
		Map<String, String> settings = at(one(documents, "ConfigMap", "familiar-config"), "data");
		var postgres = one(documents, "StatefulSet", "postgres");
		assertThat(settings.get("FAMILIAR_DB_URL")).startsWith("jdbc:postgresql://postgres:5432/");
		assertThat((Integer) at(one(documents, "Service", "postgres"), "spec", "ports", 0, "port")).isEqualTo(5432);
		assertThat(settings.get("FAMILIAR_REDIS_URL")).isEqualTo("redis://redis:6379");
		assertThat((Integer) at(one(documents, "Service", "redis"), "spec", "ports", 0, "port")).isEqualTo(6379);
		one(documents, "Deployment", "redis");
		// The database's password and Familiar's come from the same Secret key.
		List<Map<String, Object>> env = at(postgres, "spec", "template", "spec", "containers", 0, "env");
		assertThat(env).anySatisfy(variable -> {
			assertThat(variable.get("name")).isEqualTo("POSTGRES_PASSWORD");
			assertThat((String) at(variable, "valueFrom", "secretKeyRef", "key")).isEqualTo("db-password");
		});
		assertThat(documents).noneMatch(d -> "Secret".equals(d.get("kind"))).as("no secret is committed");
	}

	@Test
	void theExternalOverlayUsesTheOperatorsPostgresAndRedis() throws Exception {
		var documents = render("external");
		checkServer(documents);
		assertThat(documents).noneMatch(d -> "StatefulSet".equals(d.get("kind")));
		Map<String, String> settings = at(one(documents, "ConfigMap", "familiar-config"), "data");
		assertThat(settings.get("FAMILIAR_DB_URL")).doesNotContain("//postgres:");
		assertThat(settings).containsKey("FAMILIAR_BACKENDS_GPU_URL");
	}

	/** What every overlay's Familiar must be. */
	private static void checkServer(List<Map<String, Object>> documents) throws IOException {
		Map<String, String> settings = at(one(documents, "ConfigMap", "familiar-config"), "data");
		assertThat(settings.get("SPRING_PROFILES_ACTIVE")).contains("postgres").contains("redis");

		var deployment = one(documents, "Deployment", "familiar");
		assertThat((Integer) at(deployment, "spec", "replicas")).isGreaterThanOrEqualTo(2);
		Map<String, Object> pod = at(deployment, "spec", "template", "spec");
		Map<String, String> podLabels = at(deployment, "spec", "template", "metadata", "labels");
		Map<String, Object> container = at(pod, "containers", 0);
		assertThat((String) container.get("image")).startsWith("familiar:");
		assertThat((Integer) at(container, "ports", 0, "containerPort")).isEqualTo(8080);
		assertThat((String) at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/actuator/health/readiness");
		assertThat((String) at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/actuator/health/liveness");
		assertThat((String) at(container, "startupProbe", "httpGet", "path")).startsWith("/actuator/health");
		assertThat((Boolean) at(container, "securityContext", "readOnlyRootFilesystem")).isTrue();
		assertThat((Boolean) at(pod, "securityContext", "runAsNonRoot")).isTrue();

		// The pod runs as the image's user (pom.xml's jib <user>).
		var pom = Files.readString(Path.of("pom.xml"));
		var user = Pattern.compile("<user>(\\d+):(\\d+)</user>").matcher(pom);
		assertThat(user.find()).isTrue();
		assertThat(at(pod, "securityContext", "runAsUser").toString()).isEqualTo(user.group(1));

		// /data (FAMILIAR_HOME in the image) and /tmp are writable volumes; the rest is read-only.
		List<Map<String, Object>> mounts = at(container, "volumeMounts");
		assertThat(mounts).extracting(mount -> mount.get("mountPath")).contains("/data", "/tmp");

		// Each replica is named after its pod; the database password comes from the Secret.
		List<Map<String, Object>> env = at(container, "env");
		assertThat(env).anySatisfy(variable -> {
			assertThat(variable.get("name")).isEqualTo("FAMILIAR_NODE");
			assertThat((String) at(variable, "valueFrom", "fieldRef", "fieldPath")).isEqualTo("metadata.name");
		});
		assertThat(env).anySatisfy(variable -> {
			assertThat(variable.get("name")).isEqualTo("FAMILIAR_DB_PASSWORD");
			assertThat((String) at(variable, "valueFrom", "secretKeyRef", "name")).isEqualTo("familiar");
		});
		assertThat((String) at(container, "envFrom", 0, "configMapRef", "name")).isEqualTo("familiar-config");

		// Graceful stop: the pod's grace outlasts the preStop pause plus the streams' shutdown phase.
		int grace = at(pod, "terminationGracePeriodSeconds");
		int pause = at(container, "lifecycle", "preStop", "sleep", "seconds");
		int phase = Integer.parseInt(settings.get("SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE").replace("s", ""));
		assertThat(grace).isGreaterThan(pause + phase);
		assertThat((Integer) at(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable")).isZero();

		// The service reaches every replica, with no sticky sessions.
		var service = one(documents, "Service", "familiar");
		assertThat(service.get("spec").toString()).doesNotContain("ClientIP");
		Map<String, String> selector = at(service, "spec", "selector");
		assertThat(podLabels).containsAllEntriesOf(selector);
		assertThat((String) at(service, "spec", "ports", 0, "targetPort")).isEqualTo("http");

		// A voluntary disruption or a scale-down never leaves fewer than two replicas serving.
		var budget = one(documents, "PodDisruptionBudget", "familiar");
		assertThat(podLabels).containsAllEntriesOf(at(budget, "spec", "selector", "matchLabels"));
		int replicas = at(deployment, "spec", "replicas");
		assertThat(replicas - (Integer) at(budget, "spec", "maxUnavailable")).isGreaterThanOrEqualTo(2);
		var autoscaler = one(documents, "HorizontalPodAutoscaler", "familiar");
		assertThat((String) at(autoscaler, "spec", "scaleTargetRef", "name")).isEqualTo("familiar");
		assertThat((Integer) at(autoscaler, "spec", "minReplicas")).isGreaterThanOrEqualTo(2);
		assertThat((Integer) at(autoscaler, "spec", "maxReplicas")).isGreaterThan(at(autoscaler, "spec", "minReplicas"));
	}
}
