package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anvil.cli.Configuration;
import dev.anvil.context.api.Limits;
import dev.anvil.trainer.service.TrainerLimits;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart configures containers only with variables the application reads: every ANVIL_* it sets
 * is in {@link Configuration#table} of the container's command, or a global.
 */
class ConfigurationDriftTest {
  /** Variables every command reads that are not options (Identities.dataDir). */
  private static final Set<String> GLOBALS = Set.of("ANVIL_DATA");

  static Stream<String> renderings() {
    return Stream.of("default", "production-gpu", "everything");
  }

  /** Values that switch on every optional setting of the chart. */
  private static final String EVERYTHING =
      """
      contextEngine:
        auth: {issuer: "https://kc.example/realms/acme", audience: anvil, jwksUri: "https://kc.example/jwks"}
        mcp: {enabled: true, audience: anvil-agents, resource: "https://anvil.example/mcp", allowedOrigins: ["https://app.example"]}
        console: {enabled: true, clientId: anvil-admin, url: "https://anvil.example/console", clientSecretName: kc-console, trainer: ""}
        limits: {queryChars: 1000, filterTags: 4, filterValues: 64, facets: 4, topK: 100, tokenBudget: 1000000, concurrentSearches: 16, concurrentIngests: 2, requestsPerSecond: 20, burst: 40, ingestMibPerSecond: 8, ingestBufferMib: 64}
        kafka:
          bootstrap: kafka:9093
          clientConfigSecret: {name: kafka-client, key: client.properties}
        search: {fusionK: 5}
        model: all-minilm-l6-v2-q
        rollbackHours: 0.5
        mergeQuietSeconds: 0
        backend: elasticsearch
        elasticsearch:
          urls: ["https://es-0.search:9200", "https://es-1.search:9200"]
          caSecret: {name: es-ca, key: ca.pem}
          credentialsSecret: {name: es-anvil, key: api-key}
          indexPrefix: anvil-test-
          shards: 2
          replicas: 0
      trainer:
        gpu: {enabled: true}
        limits: {specBytes: 4096, uploadFiles: 2, uploadBytes: 66060288, concurrentSubmits: 2, jobsPerOwner: 1, queuedJobs: 8, concurrentStreams: 32, streamsPerCaller: 2, concurrentPromotions: 1, requestsPerSecond: 2.5, burst: 5}
        auth: {issuer: "https://kc.example/realms/ml", audience: anvil-trainer, jwksUri: "https://kc.example/jwks"}
        tokenExchange: {clientId: ml-trainer, secretName: kc-ml-trainer, secretKey: secret}
        gate:
          enabled: true
          rules: "metric: ndcg@10"
          evalPath: /var/lib/anvil/models/gate/eval
          regressionPath: /var/lib/anvil/models/gate/regression
          split: dev
      store:
        url: "jdbc:postgresql://anvil-db.db.svc:5432/anvil?sslmode=verify-full"
        passwordSecret: {name: anvil-db, key: password}
      telemetry:
        otlp: {endpoint: "http://collector:4318"}
        resourceAttributes: deployment.environment=test
      metrics:
        prometheus: {enabled: true}
      networkPolicy:
        egress:
          elasticsearch: [{cidr: 10.30.0.0/16, ports: [{port: 9200}]}]
      """;

  @TempDir static Path dir;

  private static Rendering render(String name) {
    return switch (name) {
      case "default" -> Chart.render();
      case "production-gpu" -> Chart.render(Chart.PRODUCTION_GPU);
      default -> Chart.render(Chart.values(dir, EVERYTHING));
    };
  }

  @ParameterizedTest(name = "{0} values")
  @MethodSource("renderings")
  void everyAnvilVariableIsInTheConfigurationTableOfTheContainersCommand(String values) {
    Rendering r = render(values);
    assertThat(r.workloads()).hasSize(2);

    for (Rendering.Workload w : r.workloads()) {
      assertThat(variables(r, w)).as("%s sets no ANVIL_* variable at all?", w.name()).isNotEmpty();
      assertThat(unread(r, w))
          .as(
              "%s (anvil %s) sets variables that its command does not read; it reads %s",
              w.name(),
              String.join(" ", w.container().getArgs()),
              Configuration.table(command(w)).keySet())
          .isEmpty();

      List<String> flags =
          w.container().getArgs().stream().filter(a -> a.startsWith("--")).toList();
      for (String flag : flags) {
        assertThat(Configuration.table(command(w)))
            .as(
                "%s passes %s, an option of `anvil %s`",
                w.name(), flag, String.join(" ", command(w)))
            .containsKey(variable(flag));
      }
    }
  }

  /**
   * The "everything" values give the trainer every option with which it reads corpora from the
   * context engine, so that the check above sees their variables.
   */
  @Test
  void everythingValuesSetEveryEngineClientOptionOfTheTrainer() {
    Rendering r = render("everything");
    Set<String> engineClient = new TreeSet<>();
    for (String v : Configuration.table("train", "serve").keySet()) {
      if (v.startsWith("ANVIL_ENGINE") || v.startsWith("ANVIL_TOKEN_EXCHANGE")) {
        engineClient.add(v);
      }
    }

    assertThat(engineClient)
        .containsExactlyInAnyOrder(
            "ANVIL_ENGINE",
            "ANVIL_ENGINE_TLS_CA",
            "ANVIL_ENGINE_TLS_CLIENT_CERT",
            "ANVIL_ENGINE_TLS_CLIENT_KEY",
            "ANVIL_TOKEN_EXCHANGE_CLIENT",
            "ANVIL_TOKEN_EXCHANGE_SECRET_FILE");
    assertThat(variables(r, r.workload("anvil-trainer"))).containsAll(engineClient);
    assertThat(r.configMap("anvil-trainer").getData())
        .containsEntry("ANVIL_TOKEN_EXCHANGE_CLIENT", "ml-trainer")
        .containsEntry("ANVIL_TOKEN_EXCHANGE_SECRET_FILE", "/etc/anvil/token-exchange/secret");
  }

  /**
   * The chart has a value for every option of {@code anvil serve} that names the search backend,
   * and the "everything" values set them all, so that the check above sees each one.
   */
  @Test
  void everythingValuesSetEveryBackendOptionOfTheEngine() {
    Set<String> backend = new TreeSet<>();
    for (String v : Configuration.table("serve").keySet()) {
      if (v.equals("ANVIL_BACKEND") || v.startsWith("ANVIL_ES_")) {
        backend.add(v);
      }
    }

    assertThat(backend).hasSizeGreaterThan(1);
    assertThat(render("everything").configMap("anvil-context-engine").getData().keySet())
        .containsAll(backend);
  }

  @Test
  void aVariableNoCommandReadsIsReported() {
    Path values = Chart.values(dir, "contextEngine: {extraConfig: {ANVIL_NOT_AN_OPTION: 'x'}}\n");
    Rendering r = Chart.render(values);

    assertThat(unread(r, r.workload("anvil-context-engine")))
        .containsExactly("ANVIL_NOT_AN_OPTION");
    assertThat(unread(r, r.workload("anvil-trainer"))).isEmpty();
  }

  @Test
  void kubernetesInjectsNoServiceVariables() {
    // With service links, a Service named "anvil" would give every pod ANVIL_PORT=tcp://...,
    // which the engine would read as its --port.
    for (Rendering.Workload w : Chart.render(Chart.PRODUCTION_GPU).workloads()) {
      assertThat(w.template().getSpec().getEnableServiceLinks()).as(w.name()).isFalse();
    }
  }

  @Test
  void contextEngineListensOnThePodAddressAndKeepsItsIndexOnTheVolume() {
    var data = Chart.render().configMap("anvil-context-engine").getData();

    assertThat(data)
        .containsEntry("ANVIL_HOST", "0.0.0.0")
        .containsEntry("ANVIL_PORT", "7070")
        .containsEntry("ANVIL_DATA", "/var/lib/anvil")
        .containsEntry("ANVIL_INDEX", "/var/lib/anvil/index")
        .containsEntry("ANVIL_PACK", "/etc/anvil/policy-pack")
        .containsEntry("ANVIL_FUSION_K", "60")
        .containsEntry("ANVIL_MODEL", "all-minilm-l6-v2")
        .containsEntry("ANVIL_ROLLBACK_HOURS", "24")
        .containsEntry("ANVIL_MERGE_QUIET_SECONDS", "60")
        .doesNotContainKey("ANVIL_DEV");
    assertThat(render("everything").configMap("anvil-context-engine").getData())
        .as("the fusion constant chosen with anvil eval fusion")
        .containsEntry("ANVIL_FUSION_K", "5")
        .containsEntry("ANVIL_MODEL", "all-minilm-l6-v2-q")
        .containsEntry("ANVIL_ROLLBACK_HOURS", "0.5")
        .containsEntry("ANVIL_MERGE_QUIET_SECONDS", "0");
  }

  @Test
  void trainerListensOnThePodAddressAndTrustsTheEnginesIssuerUnlessToldOtherwise() {
    var data = Chart.render(Chart.PRODUCTION_GPU).configMap("anvil-trainer").getData();

    assertThat(data)
        .containsEntry("ANVIL_HOST", "0.0.0.0")
        .containsEntry("ANVIL_PORT", "7071")
        .containsEntry("ANVIL_DATA", "/var/lib/anvil")
        .containsEntry("ANVIL_PACK", "/etc/anvil/policy-pack")
        .containsEntry("ANVIL_POLICY_RELOAD", "10")
        .containsEntry("ANVIL_ISSUER", "https://keycloak.corp.internal/realms/acme")
        .doesNotContainKey("ANVIL_DEV");
    assertThat(render("everything").configMap("anvil-trainer").getData())
        .containsEntry("ANVIL_ISSUER", "https://kc.example/realms/ml")
        .containsEntry("ANVIL_AUDIENCE", "anvil-trainer")
        .containsEntry("ANVIL_GATE_RULES", "/etc/anvil/gate/rules.yaml");
  }

  /**
   * Each service's limits in the chart are the components of its limits record, each set as its
   * --max-* option's variable with the value as written (a large number not in e-notation).
   */
  @Test
  void everyLimitOfTheValuesIsALimitOfTheServiceAndReachesItsVariable() throws IOException {
    Map<String, Class<? extends Record>> records =
        Map.of("contextEngine", Limits.class, "trainer", TrainerLimits.class);
    for (var e : records.entrySet()) {
      Set<String> components = new TreeSet<>();
      for (RecordComponent c : e.getValue().getRecordComponents()) {
        components.add(c.getName());
      }
      assertThat(limitsInSchema(e.getKey()))
          .as("%s.limits in values.schema.json", e.getKey())
          .containsExactlyInAnyOrderElementsOf(components);
    }
    var data = render("everything").configMap("anvil-trainer").getData();
    assertThat(data)
        .containsEntry("ANVIL_MAX_SPEC_BYTES", "4096")
        .containsEntry("ANVIL_MAX_UPLOAD_FILES", "2")
        .containsEntry("ANVIL_MAX_UPLOAD_BYTES", "66060288")
        .containsEntry("ANVIL_MAX_CONCURRENT_SUBMITS", "2")
        .containsEntry("ANVIL_MAX_JOBS_PER_OWNER", "1")
        .containsEntry("ANVIL_MAX_QUEUED_JOBS", "8")
        .containsEntry("ANVIL_MAX_CONCURRENT_STREAMS", "32")
        .containsEntry("ANVIL_MAX_STREAMS_PER_CALLER", "2")
        .containsEntry("ANVIL_MAX_CONCURRENT_PROMOTIONS", "1")
        .containsEntry("ANVIL_MAX_REQUESTS_PER_SECOND", "2.5")
        .containsEntry("ANVIL_MAX_BURST", "5");
    assertThat(render("everything").configMap("anvil-context-engine").getData())
        .containsEntry("ANVIL_MAX_TOKEN_BUDGET", "1000000")
        .containsEntry("ANVIL_MAX_REQUESTS_PER_SECOND", "20")
        .containsEntry("ANVIL_MAX_INGEST_MIB_PER_SECOND", "8")
        .containsEntry("ANVIL_MAX_INGEST_BUFFER_MIB", "64");
    assertThat(Chart.render().configMap("anvil-trainer").getData())
        .as("no limit set: the trainer's own defaults")
        .noneSatisfy((k, v) -> assertThat(k).startsWith("ANVIL_MAX_"));
  }

  @Test
  void telemetryVariablesFollowTheValues() {
    var data = Chart.render(Chart.PRODUCTION_GPU).configMap("anvil-trainer").getData();

    assertThat(data)
        .containsEntry(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability.svc:4318")
        .containsEntry("OTEL_SERVICE_NAME", "anvil-trainer")
        .containsEntry("OTEL_METRICS_EXPORTER", "otlp,prometheus")
        .containsEntry("OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0")
        .containsEntry("OTEL_EXPORTER_PROMETHEUS_PORT", "9464")
        .containsEntry("PYTORCH_FLAVOR", "cu128")
        .containsEntry("PYTORCH_VERSION", "2.7.1")
        .containsEntry("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib")
        .containsEntry("MKL_CBWR", "AUTO,STRICT")
        .containsEntry("MKL_DYNAMIC", "FALSE")
        .containsEntry("OMP_DYNAMIC", "FALSE");
    assertThat(Chart.render().configMap("anvil-trainer").getData())
        .as("no OTEL_* variable: the SDK stays off and sends nothing")
        .noneSatisfy((k, v) -> assertThat(k).startsWith("OTEL_"));
  }

  /** The keys values.schema.json allows under {@code <component>.limits}. */
  private static Set<String> limitsInSchema(String component) throws IOException {
    JsonNode schema = new ObjectMapper().readTree(Chart.DIR.resolve("values.schema.json").toFile());
    Set<String> keys = new TreeSet<>();
    schema
        .path("properties")
        .path(component)
        .path("properties")
        .path("limits")
        .path("properties")
        .fieldNames()
        .forEachRemaining(keys::add);
    return keys;
  }

  /** The command a container runs: its args up to the first flag. */
  private static String[] command(Rendering.Workload w) {
    return w.container().getArgs().stream()
        .takeWhile(a -> !a.startsWith("-"))
        .toArray(String[]::new);
  }

  /** The ANVIL_* variables a container gets that neither its command nor every command reads. */
  private static Set<String> unread(Rendering r, Rendering.Workload w) {
    SortedMap<String, String> table = Configuration.table(command(w));
    Set<String> unread = new TreeSet<>(variables(r, w));
    unread.removeAll(table.keySet());
    unread.removeAll(GLOBALS);
    return unread;
  }

  /** ANVIL_* names from the container's env and from the ConfigMaps it reads with envFrom. */
  private static Set<String> variables(Rendering r, Rendering.Workload w) {
    List<String> names = new ArrayList<>();
    var c = w.container();
    if (c.getEnv() != null) {
      c.getEnv().stream().map(EnvVar::getName).forEach(names::add);
    }
    if (c.getEnvFrom() != null) {
      for (EnvFromSource from : c.getEnvFrom()) {
        assertThat(from.getSecretRef()).as("settings come from ConfigMaps").isNull();
        assertThat(from.getPrefix()).isNull();
        names.addAll(r.configMap(from.getConfigMapRef().getName()).getData().keySet());
      }
    }
    Set<String> anvil = new TreeSet<>();
    names.stream().filter(n -> n.startsWith("ANVIL_")).forEach(anvil::add);
    return anvil;
  }

  private static String variable(String flag) {
    return "ANVIL_" + flag.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }
}
