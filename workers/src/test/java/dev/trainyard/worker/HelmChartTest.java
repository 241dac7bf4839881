package dev.trainyard.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import dev.trainyard.pipeline.kind.StepKinds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Helm chart in {@code infra/helm/trainyard}: rendered by Helm itself (helm-java) with several
 * value sets, every manifest validated against the Kubernetes API's JSON schemas (the npm
 * kubernetes-models packages, {@code infra/helm/test/validate.mjs}), and what it deploys checked.
 *
 * <p>It lives in the workers module because the chart's worker command lines are parsed here by the
 * worker's own {@link WorkerMain#parse}: a flag the worker does not know fails this test, not a
 * pod. No cluster runs here: what a real API server, scheduler or kubelet would do is not tested.
 */
class HelmChartTest {
  static final Path REPO = Path.of("").toAbsolutePath().getParent();
  static final Path CHART = REPO.resolve("infra/helm/trainyard");
  static final Path TEST_DIR = REPO.resolve("infra/helm/test");
  static final String RELEASE = "ty";
  static final String NAMESPACE = "ml";

  @TempDir Path tmp;

  @Test
  void theDefaultsDeployTheBackendAndOneCpuWorkerWithHealthProbes() throws Exception {
    Rendered r = render(Map.of());

    assertThat(r.kindsAndNames())
        .containsExactlyInAnyOrder(
            "ConfigMap/ty-trainyard-backend",
            "PersistentVolumeClaim/ty-trainyard-backend-data",
            "Service/ty-trainyard-backend",
            "Deployment/ty-trainyard-backend",
            "Deployment/ty-trainyard-worker-default");
    JsonNode backend = r.get("Deployment", "ty-trainyard-backend");
    JsonNode container = backend.at("/spec/template/spec/containers/0");
    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/q/health/live");
    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/q/health/ready");
    assertThat(container.at("/startupProbe/httpGet/path").asText()).isEqualTo("/q/health/started");
    assertThat(container.at("/livenessProbe/httpGet/port").asText()).isEqualTo("http");
    assertThat(container.at("/ports/0/name").asText()).isEqualTo("http");
    assertThat(container.at("/ports/0/containerPort").asInt()).isEqualTo(8080);
    JsonNode service = r.get("Service", "ty-trainyard-backend");
    assertThat(service.at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
    assertThat(service.at("/spec/selector")).isEqualTo(backend.at("/spec/selector/matchLabels"));

    JsonNode config = r.get("ConfigMap", "ty-trainyard-backend").get("data");
    assertThat(config.get("TRAINYARD_AUTH_MODE").asText()).isEqualTo("oidc");
    assertThat(config.get("TRAINYARD_WORKER_EMBEDDED").asText()).isEqualTo("false");
    assertThat(config.get("TRAINYARD_TEMPORAL_TARGET").asText())
        .isEqualTo("temporal-frontend.temporal.svc:7233");
    // The Service's names, and the pod's IP, which is the Host header of Prometheus's scrapes.
    List<String> env = envNames(container);
    assertThat(env.indexOf("POD_IP"))
        .isNotNegative()
        .isLessThan(env.indexOf("TRAINYARD_HTTP_ALLOWED_HOSTS"));
    assertThat(env(container, "POD_IP").at("/valueFrom/fieldRef/fieldPath").asText())
        .isEqualTo("status.podIP");
    assertThat(env(container, "TRAINYARD_HTTP_ALLOWED_HOSTS").get("value").asText().split(","))
        .contains("ty-trainyard-backend", "ty-trainyard-backend.ml.svc", "$(POD_IP)");
    // Secrets come from Secrets, never from the ConfigMap.
    assertThat(envNames(container))
        .contains("QUARKUS_DATASOURCE_PASSWORD", "TRAINYARD_AUDIT_HMAC_KEY");
    for (String secret :
        List.of(
            "QUARKUS_DATASOURCE_USERNAME",
            "QUARKUS_DATASOURCE_PASSWORD",
            "QUARKUS_FLYWAY_USERNAME",
            "QUARKUS_FLYWAY_PASSWORD",
            "QUARKUS_OIDC_AUTHENTICATION_STATE_SECRET",
            "QUARKUS_OIDC_TOKEN_STATE_MANAGER_ENCRYPTION_SECRET",
            "TRAINYARD_AUDIT_HMAC_KEY")) {
      assertThat(env(container, secret).at("/valueFrom/secretKeyRef/key").asText())
          .as(secret + " comes from a Secret")
          .isNotEmpty();
      assertThat(config.has(secret)).isFalse();
    }

    JsonNode worker = r.get("Deployment", "ty-trainyard-worker-default");
    JsonNode workerContainer = worker.at("/spec/template/spec/containers/0");
    assertThat(workerContainer.at("/resources").toString()).doesNotContain("nvidia.com/gpu");
    // Workers hold no database credentials, no OIDC secrets and no audit key.
    assertThat(workerContainer.at("/env").toString())
        .doesNotContain("QUARKUS_")
        .doesNotContain("TRAINYARD_AUDIT")
        .doesNotContain("trainyard-database")
        .doesNotContain("trainyard-oidc");
    assertThat(workerContainer.has("envFrom")).isFalse();
    WorkerMain.Options options = workerOptions(worker);
    assertThat(options.pools()).containsExactly("default");
    assertThat(options.tls()).as("mTLS to Temporal by default").isNotNull();
    // A worker never mounts the backend's private key: only the public half is projected.
    assertThat(worker.at("/spec/template/spec/volumes").toString())
        .contains("task-signing.pub")
        .doesNotContain("task-signing.key");
    r.assertEveryManifestIsValid();
  }

  @Test
  void aTemporalApiKeyComesFromItsSecretToTheBackendAndTheWorkersOnly() throws Exception {
    JsonNode plainBackend =
        render(Map.of())
            .get("Deployment", "ty-trainyard-backend")
            .at("/spec/template/spec/containers/0");
    assertThat(envNames(plainBackend)).doesNotContain("TRAINYARD_TEMPORAL_API_KEY");

    Rendered r = render(Map.of("temporal.apiKey.existingSecret", "temporal-cloud"));
    for (String deployment : List.of("ty-trainyard-backend", "ty-trainyard-worker-default")) {
      JsonNode container = r.get("Deployment", deployment).at("/spec/template/spec/containers/0");
      JsonNode apiKey = env(container, "TRAINYARD_TEMPORAL_API_KEY");
      assertThat(apiKey.at("/valueFrom/secretKeyRef/name").asText())
          .as(deployment)
          .isEqualTo("temporal-cloud");
      assertThat(apiKey.at("/valueFrom/secretKeyRef/key").asText()).isEqualTo("api-key");
    }
    r.assertEveryManifestIsValid();
  }

  @Test
  void eachGpuPoolGetsItsOwnDeploymentWithItsGpusNodesAndTaskQueue() throws Exception {
    Rendered r = render(Map.of(), TEST_DIR.resolve("values/two-gpu-pools.yaml"));

    assertThat(r.kindsAndNames())
        .contains(
            "Deployment/ty-trainyard-worker-h100",
            "Deployment/ty-trainyard-worker-a100",
            "Ingress/ty-trainyard-backend",
            "ServiceMonitor/ty-trainyard-backend")
        .doesNotContain("Deployment/ty-trainyard-worker-default");

    JsonNode h100 = r.get("Deployment", "ty-trainyard-worker-h100");
    assertThat(h100.at("/spec/replicas").asInt()).isEqualTo(2);
    assertThat(gpus(h100, "requests")).isEqualTo("8");
    assertThat(gpus(h100, "limits")).isEqualTo("8");
    assertThat(h100.at("/spec/template/spec/containers/0/resources/requests/cpu").asText())
        .isEqualTo("32");
    assertThat(h100.at("/spec/template/spec/nodeSelector/nvidia.com~1gpu.product").asText())
        .isEqualTo("NVIDIA-H100-80GB-HBM3");
    assertThat(h100.at("/spec/template/spec/tolerations/0/key").asText())
        .isEqualTo("nvidia.com/gpu");
    WorkerMain.Options h100Options = workerOptions(h100);
    assertThat(h100Options.pools()).containsExactly("h100");
    assertThat(h100Options.maxConcurrentSteps()).as("default: the GPUs it finds").isNull();

    JsonNode a100 = r.get("Deployment", "ty-trainyard-worker-a100");
    assertThat(gpus(a100, "requests")).isEqualTo("1");
    assertThat(gpus(a100, "limits")).isEqualTo("1");
    assertThat(a100.at("/spec/template/spec/nodeSelector/nvidia.com~1gpu.product").asText())
        .isEqualTo("NVIDIA-A100-SXM4-40GB");
    assertThat(workerOptions(a100).pools()).containsExactly("a100");
    assertThat(workerOptions(a100).maxConcurrentSteps()).isEqualTo(1);
    // Each pool's pods are its own: the selectors differ.
    assertThat(h100.at("/spec/selector")).isNotEqualTo(a100.at("/spec/selector"));

    JsonNode ingress = r.get("Ingress", "ty-trainyard-backend");
    assertThat(ingress.at("/spec/tls/0/secretName").asText()).isEqualTo("trainyard-ml-tls");
    assertThat(ingress.at("/spec/tls/0/hosts/0").asText()).isEqualTo("trainyard.ml.example.com");
    assertThat(ingress.at("/spec/rules/0/http/paths/0/backend/service/name").asText())
        .isEqualTo("ty-trainyard-backend");
    JsonNode config = r.get("ConfigMap", "ty-trainyard-backend").get("data");
    assertThat(
            env(
                    r.get("Deployment", "ty-trainyard-backend")
                        .at("/spec/template/spec/containers/0"),
                    "TRAINYARD_HTTP_ALLOWED_HOSTS")
                .get("value")
                .asText()
                .split(","))
        .contains("trainyard.ml.example.com", "$(POD_IP)");
    assertThat(config.get("QUARKUS_HTTP_PROXY_PROXY_ADDRESS_FORWARDING").asText())
        .isEqualTo("true");

    JsonNode monitor = r.get("ServiceMonitor", "ty-trainyard-backend");
    assertThat(monitor.at("/metadata/labels/release").asText()).isEqualTo("prometheus");
    assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/q/metrics");
    assertThat(monitor.at("/spec/endpoints/0/port").asText()).isEqualTo("http");
    assertThat(monitor.at("/spec/endpoints/0/oauth2/clientSecret/name").asText())
        .isEqualTo("trainyard-metrics-client");
    JsonNode service = r.get("Service", "ty-trainyard-backend");
    monitor
        .at("/spec/selector/matchLabels")
        .properties()
        .forEach(
            label ->
                assertThat(service.at("/metadata/labels").get(label.getKey()))
                    .as("the Service carries the ServiceMonitor's label " + label.getKey())
                    .isEqualTo(label.getValue()));
    r.assertEveryManifestIsValid();
  }

  @Test
  void s3ModeGivesEveryPodTheStoreSettingsAndWorkersARootOfTheirOwn() throws Exception {
    Map<String, String> sets = new LinkedHashMap<>();
    sets.put("artifactStore.type", "s3");
    sets.put("artifactStore.s3.endpoint", "https://s3.example.com");
    sets.put("artifactStore.s3.bucket", "trainyard-artifacts");
    sets.put("artifactStore.s3.region", "eu-west-1");
    sets.put("secrets.create", "true");
    for (String value :
        List.of(
            "databaseAppUsername",
            "databaseAppPassword",
            "databaseOwnerUsername",
            "databaseOwnerPassword",
            "oidcStateSecret",
            "oidcSessionSecret",
            "auditHmacKey",
            "s3AccessKeyId",
            "s3SecretAccessKey")) {
      sets.put("secrets.values." + value, "not-a-secret-" + value);
    }
    Rendered r = render(sets);

    assertThat(r.kindsAndNames())
        .contains(
            "Secret/ty-trainyard-database",
            "Secret/ty-trainyard-oidc",
            "Secret/ty-trainyard-audit",
            "Secret/ty-trainyard-s3");
    assertThat(r.get("Secret", "ty-trainyard-s3").at("/stringData/secret-access-key").asText())
        .isEqualTo("not-a-secret-s3SecretAccessKey");
    JsonNode backend = r.get("Deployment", "ty-trainyard-backend");
    JsonNode worker = r.get("Deployment", "ty-trainyard-worker-default");
    for (JsonNode pod : List.of(backend, worker)) {
      JsonNode container = pod.at("/spec/template/spec/containers/0");
      assertThat(envNames(container))
          .contains(
              "TRAINYARD_S3_ENDPOINT",
              "TRAINYARD_S3_BUCKET",
              "AWS_REGION",
              "AWS_ACCESS_KEY_ID",
              "AWS_SECRET_ACCESS_KEY");
      assertThat(
              env(container, "AWS_SECRET_ACCESS_KEY").at("/valueFrom/secretKeyRef/name").asText())
          .isEqualTo("ty-trainyard-s3");
    }
    assertThat(
            env(backend.at("/spec/template/spec/containers/0"), "QUARKUS_DATASOURCE_PASSWORD")
                .at("/valueFrom/secretKeyRef/name")
                .asText())
        .isEqualTo("ty-trainyard-database");
    assertThat(volume(worker, "root").has("emptyDir")).isTrue();
    assertThat(volume(worker, "root").has("persistentVolumeClaim")).isFalse();
    r.assertEveryManifestIsValid();
  }

  @Test
  void sharedVolumeModeMountsOneClaimAsTheBackendsHomeAndEveryWorkersRoot() throws Exception {
    Rendered r = render(Map.of(), TEST_DIR.resolve("values/two-gpu-pools.yaml"));
    JsonNode backend = r.get("Deployment", "ty-trainyard-backend");
    for (String worker : List.of("ty-trainyard-worker-h100", "ty-trainyard-worker-a100")) {
      assertThat(volume(r.get("Deployment", worker), "root").at("/persistentVolumeClaim/claimName"))
          .isEqualTo(volume(backend, "home").at("/persistentVolumeClaim/claimName"));
    }
    // The backend's own files (the audit anchor) are on a volume no worker mounts.
    assertThat(volume(backend, "backend-data").at("/persistentVolumeClaim/claimName").asText())
        .isEqualTo("ty-trainyard-backend-data");
    assertThat(
            r.get("ConfigMap", "ty-trainyard-backend")
                .at("/data/TRAINYARD_AUDIT_ANCHOR_FILE")
                .asText())
        .startsWith("/var/lib/trainyard-backend/");
  }

  @Test
  void helmLintsTheChartCleanInStrictMode() {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  /** helm install (a client-only dry run: no cluster) prints the release notes. */
  @Test
  void installNotesWarnWhenSeveralWorkersShareOneVolume() {
    String defaults = installNotes();
    assertThat(defaults)
        .contains("kubectl -n ml rollout status deployment/ty-trainyard-backend")
        .doesNotContain("WARNING");

    String shared = installNotes(TEST_DIR.resolve("values/two-gpu-pools.yaml"));
    assertThat(shared)
        .contains("https://trainyard.ml.example.com/")
        .contains("WARNING: 3 worker pods share the volume trainyard-artifacts");
  }

  static String installNotes(Path... valuesFiles) {
    InstallCommand install =
        new Helm(CHART).install().withName(RELEASE).withNamespace(NAMESPACE).dryRun().clientOnly();
    for (Path values : valuesFiles) {
      install = install.withValuesFile(values);
    }
    return install.call().getOutput();
  }

  @Test
  void anInvalidValuesFileIsRefusedWithEveryProblemNamed() {
    assertThatThrownBy(() -> render(Map.of(), TEST_DIR.resolve("values/invalid.yaml")))
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining("temporal.target")
        .hasMessageContaining("workers.pools.0.name")
        .hasMessageContaining("workers.pools.0.gpus")
        .hasMessageContaining("workers.pools.1")
        .hasMessageContaining("gpu");
  }

  @Test
  void chartMadeSecretsWithoutValuesNameTheMissingValue() {
    assertThatThrownBy(() -> render(Map.of("secrets.create", "true")))
        .hasMessageContaining(
            "secrets.values.databaseAppUsername is required with secrets.create=true");
  }

  @Test
  void aPoolListedTwiceIsRefused() {
    Map<String, String> sets = new LinkedHashMap<>();
    for (int i = 0; i < 2; i++) {
      sets.put("workers.pools[" + i + "].name", "h100");
      sets.put("workers.pools[" + i + "].replicas", "1");
      sets.put("workers.pools[" + i + "].gpus", "1");
    }
    assertThatThrownBy(() -> render(sets))
        .hasMessageContaining("workers.pools: the pool \"h100\" is listed twice");
  }

  /**
   * The worker serves {@code H100} or {@code a100_sxm}, but no step can ask for them ({@code
   * resources.pool} is {@link StepKinds#POOL_PATTERN}): such a pool would idle forever, so the
   * chart takes only names both accept.
   */
  @Test
  void aPoolNameThatNoStepCanAskForIsRefused() throws Exception {
    for (String name : List.of("H100", "a100_sxm", "gpu.large")) {
      assertThat(new WorkerConfig(Path.of("/r"), List.of(name), 1, Duration.ZERO).pools())
          .as("the worker alone would accept " + name)
          .containsExactly(name);
      assertThat(name.matches(StepKinds.POOL_PATTERN)).isFalse();
      assertThatThrownBy(() -> render(onePool(name)))
          .as(name)
          .hasMessageContaining("workers.pools.0.name: Does not match pattern");
    }
    String name = "h100-sxm";
    assertThat(name.matches(StepKinds.POOL_PATTERN)).isTrue();
    assertThat(
            workerOptions(render(onePool(name)).get("Deployment", "ty-trainyard-worker-" + name))
                .pools())
        .containsExactly(name);
  }

  static Map<String, String> onePool(String name) {
    return Map.of(
        "workers.pools[0].name",
        name,
        "workers.pools[0].replicas",
        "1",
        "workers.pools[0].gpus",
        "1");
  }

  /** The validator is no rubber stamp: a broken Deployment is reported with the field's path. */
  @Test
  void theSchemaValidatorRejectsAManifestThatTheApiWouldRefuse() throws Exception {
    Rendered r = render(Map.of());
    ObjectNode broken = (ObjectNode) r.get("Deployment", "ty-trainyard-backend").deepCopy();
    broken.with("spec").put("replicas", "one");
    ((ObjectNode) broken.at("/spec/template/spec/containers/0")).remove("name");

    List<JsonNode> report = validate(List.of(broken));

    assertThat(report).hasSize(1);
    assertThat(report.get(0).get("valid").asBoolean()).isFalse();
    assertThat(report.get(0).get("errors").toString())
        .contains("/spec/replicas must be integer")
        .contains("/spec/template/spec/containers/0 must have required property name");
  }

  // --- rendering and validation ---

  record Rendered(List<JsonNode> manifests, HelmChartTest test) {
    List<String> kindsAndNames() {
      return manifests.stream()
          .map(m -> m.get("kind").asText() + "/" + m.at("/metadata/name").asText())
          .toList();
    }

    JsonNode get(String kind, String name) {
      return manifests.stream()
          .filter(m -> m.get("kind").asText().equals(kind))
          .filter(m -> m.at("/metadata/name").asText().equals(name))
          .findFirst()
          .orElseThrow(
              () -> new AssertionError("no " + kind + "/" + name + " in " + kindsAndNames()));
    }

    void assertEveryManifestIsValid() throws Exception {
      List<JsonNode> report = test.validate(manifests);
      assertThat(report).as("one verdict per manifest").hasSize(manifests.size());
      assertThat(report.stream().filter(v -> !v.get("valid").asBoolean()).map(JsonNode::toString))
          .as("manifests the Kubernetes API schemas refuse")
          .isEmpty();
    }
  }

  Rendered render(Map<String, String> sets, Path... valuesFiles) throws IOException {
    TemplateCommand template =
        new Helm(CHART).template().withName(RELEASE).withNamespace(NAMESPACE);
    for (Path values : valuesFiles) {
      template = template.withValuesFile(values);
    }
    for (Map.Entry<String, String> set : sets.entrySet()) {
      template = template.set(set.getKey(), set.getValue());
    }
    String yaml = template.call();
    List<JsonNode> manifests = new ArrayList<>();
    // A key given twice is refused, as the API server's strict decoding refuses it.
    YAMLMapper yamlMapper = new YAMLMapper();
    yamlMapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    try (var docs = yamlMapper.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          manifests.add(doc);
        }
      }
    }
    assertThat(manifests).as("rendered manifests").isNotEmpty();
    return new Rendered(manifests, this);
  }

  /** Runs infra/helm/test/validate.mjs on the objects; one verdict per object. */
  List<JsonNode> validate(List<JsonNode> manifests) throws Exception {
    assertThat(TEST_DIR.resolve("node_modules/kubernetes-models"))
        .as(
            "the validator's packages (the Maven build runs `npm ci` in infra/helm/test before the"
                + " tests; by hand: cd infra/helm/test && npm ci)")
        .isDirectory();
    ObjectMapper json = new ObjectMapper();
    Path input = tmp.resolve("manifests-" + System.nanoTime() + ".json");
    json.writeValue(input.toFile(), manifests);
    Process node =
        new ProcessBuilder("node", TEST_DIR.resolve("validate.mjs").toString(), input.toString())
            .directory(TEST_DIR.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(node.waitFor(60, TimeUnit.SECONDS)).as("validator finished").isTrue();
    assertThat(node.exitValue()).as("validator exit (0 valid, 1 invalid): " + out).isIn(0, 1);
    List<JsonNode> report = new ArrayList<>();
    for (String line : out.strip().split("\n")) {
      report.add(json.readTree(line));
    }
    assertThat(node.exitValue() == 0)
        .as("exit status agrees with the verdicts")
        .isEqualTo(report.stream().allMatch(v -> v.get("valid").asBoolean()));
    return report;
  }

  // --- reading the manifests ---

  /**
   * The worker's command line as the worker itself parses it, in a stand-in of the pod's file
   * system under {@code tmp}: only the items of the Secret volumes it mounts exist there, so a flag
   * pointing at a file no volume provides fails as it would in the pod.
   */
  WorkerMain.Options workerOptions(JsonNode deployment) throws IOException {
    JsonNode container = deployment.at("/spec/template/spec/containers/0");
    assertThat(container.has("command")).as("the image's entrypoint runs the worker").isFalse();
    Path pod = Files.createTempDirectory(tmp, "pod");
    for (JsonNode mount : container.get("volumeMounts")) {
      for (JsonNode item : volume(deployment, mount.get("name").asText()).at("/secret/items")) {
        Path file =
            pod.resolve(mount.get("mountPath").asText().substring(1))
                .resolve(item.get("path").asText());
        Files.createDirectories(file.getParent());
        Files.writeString(file, "a stand-in for Secret key " + item.get("key").asText());
      }
    }
    String[] args =
        StreamSupport.stream(container.get("args").spliterator(), false)
            .map(JsonNode::asText)
            .map(arg -> arg.replaceFirst("^(--[a-z-]+=)/", "$1" + pod + "/"))
            .toArray(String[]::new);
    WorkerMain.Options options = WorkerMain.parse(args);
    assertThat(options).as("parsed " + Arrays.toString(args)).isNotNull();
    assertThat(options.taskKey()).isRegularFile();
    return options;
  }

  static JsonNode volume(JsonNode deployment, String name) {
    for (JsonNode v : deployment.at("/spec/template/spec/volumes")) {
      if (v.get("name").asText().equals(name)) {
        return v;
      }
    }
    throw new AssertionError("no volume " + name);
  }

  static String gpus(JsonNode deployment, String requestsOrLimits) {
    return deployment
        .at("/spec/template/spec/containers/0/resources/" + requestsOrLimits + "/nvidia.com~1gpu")
        .asText();
  }

  static List<String> envNames(JsonNode container) {
    return StreamSupport.stream(container.get("env").spliterator(), false)
        .map(e -> e.get("name").asText())
        .toList();
  }

  static JsonNode env(JsonNode container, String name) {
    for (JsonNode e : container.get("env")) {
      if (e.get("name").asText().equals(name)) {
        return e;
      }
    }
    throw new AssertionError("no env " + name);
  }
}
