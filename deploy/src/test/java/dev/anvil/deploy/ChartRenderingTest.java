package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChartRenderingTest {
  @Test
  void defaultValuesRenderTypedObjectsOfEveryComponent() {
    Rendering r = Chart.render();

    assertEveryObjectFullyTyped(r);
    assertThat(kinds(r))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "ConfigMap", 3, // context engine and trainer settings, the policy pack
                "Deployment", 1,
                "NetworkPolicy", 2,
                "PersistentVolumeClaim", 2,
                "Service", 3, // the context engine's (and its headless one), the trainer's
                "ServiceAccount", 1,
                "StatefulSet", 1));
    assertThat(r.get(StatefulSet.class, "anvil-context-engine").getSpec().getReplicas())
        .isEqualTo(1);
    assertThat(r.all(HasMetadata.class))
        .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo(Chart.NAMESPACE));
  }

  @Test
  void productionGpuValuesRenderTypedObjects() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);

    assertEveryObjectFullyTyped(r);
    assertThat(r.get(StatefulSet.class, "anvil-context-engine").getSpec().getReplicas())
        .isEqualTo(2);
    assertThat(r.find(PodDisruptionBudget.class, "anvil-context-engine")).isPresent();
    assertThat(r.all(NetworkPolicy.class)).hasSize(2);
    assertThat(r.get(Deployment.class, "anvil-trainer").getSpec().getStrategy().getType())
        .isEqualTo("Recreate");
    assertThat(r.workload("anvil-trainer").container().getImage())
        .isEqualTo("registry.corp.internal:5000/anvil/trainer-cuda:0.1.0");
    assertThat(r.workload("anvil-context-engine").container().getImage())
        .isEqualTo("registry.corp.internal:5000/anvil/context-engine:0.1.0");
  }

  @Test
  void contextEngineRunsServeWithGrpcHealthProbesAndAGracePeriod() {
    Rendering r = Chart.render();
    Rendering.Workload engine = r.workload("anvil-context-engine");
    var c = engine.container();

    assertThat(c.getArgs()).containsExactly("serve");
    assertThat(c.getPorts())
        .anySatisfy(
            p -> {
              assertThat(p.getName()).isEqualTo("grpc");
              assertThat(p.getContainerPort()).isEqualTo(7070);
            });
    // Probes ask the plaintext health-only port: the kubelet's grpc probes cannot speak TLS.
    assertThat(c.getPorts())
        .anySatisfy(
            p -> {
              assertThat(p.getName()).isEqualTo("health");
              assertThat(p.getContainerPort()).isEqualTo(7080);
            });
    for (var probe : List.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())) {
      assertThat(probe.getGrpc().getPort()).isEqualTo(7080);
      assertThat(probe.getGrpc().getService()).isEmpty();
    }
    assertThat(engine.template().getSpec().getTerminationGracePeriodSeconds()).isEqualTo(60L);

    StatefulSet set = r.get(StatefulSet.class, "anvil-context-engine");
    assertThat(set.getSpec().getServiceName()).isEqualTo("anvil-context-engine-headless");
    assertThat(set.getSpec().getVolumeClaimTemplates())
        .singleElement()
        .satisfies(pvc -> assertThat(pvc.getMetadata().getName()).isEqualTo("data"));
    assertThat(r.get(Service.class, "anvil-context-engine-headless").getSpec().getClusterIP())
        .isEqualTo("None");
    assertThat(r.get(Service.class, "anvil-context-engine").getSpec().getType())
        .isEqualTo("ClusterIP");
  }

  @Test
  void trainerServesGrpcWithHealthProbesBehindAService() {
    Rendering r = Chart.render();
    Rendering.Workload trainer = r.workload("anvil-trainer");
    var c = trainer.container();

    assertThat(c.getArgs()).containsExactly("train", "serve");
    assertThat(c.getPorts())
        .anySatisfy(
            p -> {
              assertThat(p.getName()).isEqualTo("grpc");
              assertThat(p.getContainerPort()).isEqualTo(7071);
            });
    // Probes ask the plaintext health-only port: the kubelet's grpc probes cannot speak TLS.
    assertThat(c.getPorts())
        .anySatisfy(
            p -> {
              assertThat(p.getName()).isEqualTo("health");
              assertThat(p.getContainerPort()).isEqualTo(7081);
            });
    for (var probe : List.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())) {
      assertThat(probe.getGrpc().getPort()).isEqualTo(7081);
      assertThat(probe.getGrpc().getService()).isEmpty();
    }
    assertThat(r.configMap("anvil-trainer").getData())
        .containsEntry("ANVIL_HOST", "0.0.0.0")
        .containsEntry("ANVIL_PORT", "7071");

    Service service = r.get(Service.class, "anvil-trainer");
    assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(service.getSpec().getSelector())
        .containsEntry("app.kubernetes.io/component", "trainer");
    assertThat(trainer.template().getMetadata().getLabels())
        .as("the Service selects the trainer's pod")
        .containsAllEntriesOf(service.getSpec().getSelector());
    assertThat(service.getSpec().getPorts())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.getName()).isEqualTo("grpc");
              assertThat(p.getPort()).isEqualTo(7071);
              assertThat(p.getTargetPort().getStrVal()).isEqualTo("grpc");
              assertThat(p.getAppProtocol()).isEqualTo("grpc");
            });
  }

  @Test
  void contextEngineReadsTheTrainersModelsAtTheTrainersPath() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);

    for (String workload : List.of("anvil-context-engine", "anvil-trainer")) {
      var w = r.workload(workload);
      assertThat(w.template().getSpec().getVolumes())
          .filteredOn(v -> v.getName().equals("models"))
          .singleElement()
          .satisfies(
              v ->
                  assertThat(v.getPersistentVolumeClaim().getClaimName())
                      .isEqualTo("anvil-trainer-models"));
      assertThat(w.container().getVolumeMounts())
          .filteredOn(m -> m.getName().equals("models"))
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.getMountPath()).isEqualTo("/var/lib/anvil/models");
                assertThat(m.getReadOnly())
                    .as("%s writes the models only if it is the trainer", workload)
                    .isEqualTo(workload.equals("anvil-context-engine") ? Boolean.TRUE : null);
              });
    }
    assertThat(
            r.workload("anvil-context-engine").template().getSpec().getVolumes().stream()
                .filter(v -> v.getName().equals("models"))
                .findFirst()
                .orElseThrow()
                .getPersistentVolumeClaim()
                .getReadOnly())
        .isTrue();
    assertThat(
            r.get(PersistentVolumeClaim.class, "anvil-trainer-models").getSpec().getAccessModes())
        .as("replicas on other nodes mount it too")
        .containsExactly("ReadWriteMany");
  }

  @Test
  void withoutTheTrainerTheContextEngineMountsNoModels(@TempDir Path dir) {
    Rendering r = Chart.render(Chart.values(dir, "trainer: {enabled: false}\n"));

    assertThat(r.workload("anvil-context-engine").template().getSpec().getVolumes())
        .noneSatisfy(v -> assertThat(v.getName()).isEqualTo("models"));
    assertThat(r.find(Service.class, "anvil-trainer")).isEmpty();
  }

  @Test
  void gateValuesStartTheTrainerWithTheGateAndMountTheRules(@TempDir Path dir) {
    Path values =
        Chart.values(
            dir,
            """
            trainer:
              gate:
                enabled: true
                rules: |
                  metric: ndcg@10
                  min_margin: 0.01
                  max_lineage:
                    classification: internal
                evalPath: /var/lib/anvil/models/gate/eval
                regressionPath: /data/regression
            """);

    Rendering r = Chart.render(values);
    var trainer = r.workload("anvil-trainer");

    assertThat(trainer.container().getArgs()).containsExactly("train", "serve");
    assertThat(r.configMap("anvil-trainer").getData())
        .containsEntry("ANVIL_GATE_RULES", "/etc/anvil/gate/rules.yaml")
        .containsEntry("ANVIL_GATE_EVAL", "/var/lib/anvil/models/gate/eval")
        .containsEntry("ANVIL_GATE_REGRESSION", "/data/regression")
        .containsEntry("ANVIL_GATE_SPLIT", "dev");
    assertThat(r.configMap("anvil-trainer-gate").getData())
        .containsExactly(
            Map.entry(
                "rules.yaml",
                "metric: ndcg@10\nmin_margin: 0.01\nmax_lineage:\n  classification: internal\n"));
    assertThat(trainer.container().getVolumeMounts())
        .filteredOn(m -> m.getName().equals("gate"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/etc/anvil/gate");
              assertThat(m.getSubPath()).as("rules edits reach the pod in place").isNull();
              assertThat(m.getReadOnly()).isTrue();
            });
    assertThat(trainer.template().getSpec().getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getName()).isEqualTo("gate");
              assertThat(v.getConfigMap().getName()).isEqualTo("anvil-trainer-gate");
            });
    assertThat(Chart.render().find(ConfigMap.class, "anvil-trainer-gate"))
        .as("no gate by default")
        .isEmpty();
  }

  @Test
  void kafkaConsumerGroupIsThePodNameAndTheClientConfigComesFromTheNamedSecret() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);
    var engine = r.workload("anvil-context-engine");

    assertThat(engine.container().getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("ANVIL_KAFKA_GROUP");
              assertThat(e.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
            });
    assertThat(engine.template().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("kafka-client"))
        .singleElement()
        .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("anvil-kafka-client"));
    assertThat(r.configMap("anvil-context-engine").getData())
        .containsEntry("ANVIL_KAFKA_CONFIG", "/etc/anvil/kafka/client.properties")
        .containsEntry("ANVIL_ISSUER", "https://keycloak.corp.internal/realms/acme")
        .containsEntry("ANVIL_HOST", "0.0.0.0");
    assertThat(r.configMap("anvil-trainer").getData())
        .as("the trainer sends job events through the same brokers and client settings")
        .containsEntry(
            "ANVIL_KAFKA", r.configMap("anvil-context-engine").getData().get("ANVIL_KAFKA"))
        .containsEntry("ANVIL_KAFKA_CONFIG", "/etc/anvil/kafka/client.properties")
        .containsEntry("ANVIL_JOB_TOPIC", "anvil.jobs")
        .containsEntry("ANVIL_ISSUER", "https://keycloak.corp.internal/realms/acme");
    assertThat(r.workload("anvil-trainer").template().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("kafka-client"))
        .singleElement()
        .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("anvil-kafka-client"));
    assertThat(r.all(io.fabric8.kubernetes.api.model.Secret.class))
        .as("Secrets are referenced by name, never rendered")
        .isEmpty();
  }

  @Test
  void policyPackIsMountedAsADirectoryWithItsLayoutAndNoSubPath() {
    Rendering r = Chart.render();
    ConfigMap pack = r.configMap("anvil-policy-pack");

    for (Rendering.Workload w : r.workloads()) {
      assertThat(w.container().getVolumeMounts())
          .filteredOn(m -> m.getName().equals("policy-pack"))
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.getMountPath()).isEqualTo("/etc/anvil/policy-pack");
                assertThat(m.getSubPath()).as("subPath mounts are never updated").isNull();
                assertThat(m.getReadOnly()).isTrue();
              });
      var volume =
          w.template().getSpec().getVolumes().stream()
              .filter(v -> v.getName().equals("policy-pack"))
              .findFirst()
              .orElseThrow();
      Map<String, String> paths = new TreeMap<>();
      volume.getConfigMap().getItems().forEach(i -> paths.put(i.getKey(), i.getPath()));
      assertThat(paths)
          .containsEntry("schema.yaml", "schema.yaml")
          .containsEntry("principals.yaml", "principals.yaml")
          .containsEntry("policies_10-hr.yaml", "policies/10-hr.yaml");
      assertThat(paths.keySet()).isEqualTo(pack.getData().keySet());
    }
  }

  @Test
  void chartShipsTheExamplePolicyPackWithoutItsTests() throws Exception {
    Path example = Path.of("..", "examples", "policy-pack");
    Map<String, String> expected = new TreeMap<>();
    try (Stream<Path> files = Files.walk(example)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String path = example.relativize(f).toString().replace('\\', '/');
        if (!path.startsWith("tests/")) {
          expected.put(path.replace('/', '_'), Files.readString(f));
        }
      }
    }

    Map<String, String> data = Chart.render().configMap("anvil-policy-pack").getData();

    assertThat(data)
        .as("helm/anvil/files/policy-pack must be a copy of examples/policy-pack (without tests/)")
        .isEqualTo(expected);
  }

  @Test
  void inlinePolicyFilesReplaceTheExamplePack(@TempDir Path dir) {
    Path values =
        Chart.values(
            dir,
            """
            policy:
              files:
                schema.yaml: |
                  tags: {}
                principals.yaml: |
                  {}
                policies/00-only.yaml: |
                  []
            """);

    Rendering r = Chart.render(values);

    assertThat(r.configMap("anvil-policy-pack").getData())
        .containsOnlyKeys("schema.yaml", "principals.yaml", "policies_00-only.yaml")
        .containsEntry("policies_00-only.yaml", "[]\n");
  }

  @Test
  void existingPolicyConfigMapIsMountedAndNoneIsRendered(@TempDir Path dir) {
    Path values =
        Chart.values(
            dir,
            """
            policy:
              existingConfigMap:
                name: corp-policies
                files: [schema.yaml, principals.yaml, policies/corp.yaml]
            """);

    Rendering r = Chart.render(values);

    assertThat(r.find(ConfigMap.class, "anvil-policy-pack")).isEmpty();
    var volume =
        r.workload("anvil-context-engine").template().getSpec().getVolumes().stream()
            .filter(v -> v.getName().equals("policy-pack"))
            .findFirst()
            .orElseThrow();
    assertThat(volume.getConfigMap().getName()).isEqualTo("corp-policies");
    assertThat(volume.getConfigMap().getItems())
        .anySatisfy(
            i -> {
              assertThat(i.getKey()).isEqualTo("policies_corp.yaml");
              assertThat(i.getPath()).isEqualTo("policies/corp.yaml");
            });
  }

  @Test
  void existingTrainerClaimsAreUsedInsteadOfNewOnes(@TempDir Path dir) {
    Path values =
        Chart.values(
            dir,
            """
            trainer:
              persistence:
                jobs: {existingClaim: corp-jobs, size: 1Gi, accessModes: [ReadWriteOnce]}
                models: {existingClaim: corp-models, size: 1Gi, accessModes: [ReadWriteOnce]}
            """);

    Rendering r = Chart.render(values);

    assertThat(r.all(PersistentVolumeClaim.class)).isEmpty();
    assertThat(r.workload("anvil-trainer").template().getSpec().getVolumes())
        .extracting(
            v ->
                v.getPersistentVolumeClaim() == null
                    ? null
                    : v.getPersistentVolumeClaim().getClaimName())
        .contains("corp-jobs", "corp-models");
    assertThat(r.workload("anvil-context-engine").template().getSpec().getVolumes())
        .extracting(
            v ->
                v.getPersistentVolumeClaim() == null
                    ? null
                    : v.getPersistentVolumeClaim().getClaimName())
        .contains("corp-models");
  }

  @Test
  void componentsCanBeTurnedOff(@TempDir Path dir) {
    Path values = Chart.values(dir, "contextEngine: {enabled: false}\ntrainer: {enabled: false}\n");

    Rendering r = Chart.render(values);

    assertThat(r.workloads()).isEmpty();
    assertThat(r.all(NetworkPolicy.class)).isEmpty();
    assertThat(r.all(ServiceAccount.class)).hasSize(1);
  }

  @Test
  void namesStayWithinKubernetesLimitsForLongReleaseNames(@TempDir Path dir) {
    Path values = Chart.values(dir, "fullnameOverride: " + "a".repeat(36) + "\n");

    Rendering r = Chart.render(values);

    assertThat(r.objects())
        .allSatisfy(o -> assertThat(o.getMetadata().getName()).hasSizeLessThanOrEqualTo(63));
    assertThat(r.all(StatefulSet.class))
        .as("a StatefulSet name leaves room for the controller-revision-hash label (63)")
        .allSatisfy(s -> assertThat(s.getMetadata().getName()).hasSizeLessThanOrEqualTo(52));
  }

  private static Map<String, Integer> kinds(Rendering r) {
    Map<String, Integer> kinds = new TreeMap<>();
    r.objects().forEach(o -> kinds.merge(o.getKind(), 1, Integer::sum));
    return kinds;
  }

  /**
   * Fails on a GenericKubernetesResource (an unknown kind) and on any field the typed model does
   * not know (fabric8 keeps those in additionalProperties): a misspelt field would otherwise be
   * silently ignored by the API server.
   */
  static void assertEveryObjectFullyTyped(Rendering r) {
    assertThat(r.objects()).isNotEmpty();
    for (HasMetadata o : r.objects()) {
      assertThat(o)
          .as("%s %s", o.getKind(), o.getMetadata().getName())
          .isNotInstanceOf(GenericKubernetesResource.class);
      List<String> unknown = new ArrayList<>();
      unknownFields(o, o.getKind() + "/" + o.getMetadata().getName(), unknown, newIdentitySet());
      assertThat(unknown).as("fields the Kubernetes model does not know").isEmpty();
    }
  }

  private static Set<Object> newIdentitySet() {
    return java.util.Collections.newSetFromMap(new IdentityHashMap<>());
  }

  private static void unknownFields(Object value, String path, List<String> out, Set<Object> seen) {
    if (value == null || !seen.add(value)) {
      return;
    }
    if (value instanceof Collection<?> c) {
      int i = 0;
      for (Object item : c) {
        unknownFields(item, path + "[" + i++ + "]", out, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> m) {
      m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0
          || Modifier.isStatic(getter.getModifiers())
          || getter.getDeclaringClass() == Object.class
          || !(getter.getName().startsWith("get") || getter.getName().startsWith("is"))) {
        continue;
      }
      Object field;
      try {
        field = getter.invoke(value);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      if (getter.getName().equals("getAdditionalProperties")) {
        if (field instanceof Map<?, ?> extra && !extra.isEmpty()) {
          out.add(path + ": " + extra.keySet());
        }
      } else {
        unknownFields(field, path + "." + getter.getName(), out, seen);
      }
    }
  }

  @Test
  void grpcPortsServeTlsFromTheSecretByDefault() {
    Rendering r = Chart.render();
    for (String name : List.of("anvil-context-engine", "anvil-trainer")) {
      Rendering.Workload w = r.workload(name);
      assertThat(r.configMap(name).getData())
          .as(name)
          .containsEntry("ANVIL_TLS_CERT", "/etc/anvil/tls/tls.crt")
          .containsEntry("ANVIL_TLS_KEY", "/etc/anvil/tls/tls.key")
          .doesNotContainKey("ANVIL_INSECURE_PLAINTEXT")
          // Client certificates are checked when presented (the trainer's, by the engine).
          .containsEntry("ANVIL_TLS_CLIENT_CA", "/etc/anvil/tls/ca.crt")
          .containsEntry("ANVIL_TLS_CLIENT_AUTH", "optional");
      assertThat(w.template().getSpec().getVolumes())
          .filteredOn(v -> v.getName().equals("tls"))
          .singleElement()
          .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("anvil-tls"));
      assertThat(w.container().getVolumeMounts())
          .filteredOn(m -> m.getName().equals("tls"))
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.getMountPath()).isEqualTo("/etc/anvil/tls");
                assertThat(m.getReadOnly()).isTrue();
              });
    }
  }

  @Test
  void mutualTlsAndCertManagerAndDeclaredPlaintext(@TempDir Path dir) throws Exception {
    Path mtls =
        Files.writeString(
            dir.resolve("mtls.yaml"),
            """
            tls:
              clientAuth: require
              certManager:
                issuerRef: {name: corp-ca, kind: ClusterIssuer}
            """);
    Rendering r = Chart.render(mtls);
    assertThat(r.configMap("anvil-context-engine").getData())
        .containsEntry("ANVIL_TLS_CLIENT_CA", "/etc/anvil/tls/ca.crt")
        .containsEntry("ANVIL_TLS_CLIENT_AUTH", "require");
    String certificate = Chart.template(mtls);
    assertThat(certificate)
        .contains("kind: Certificate")
        .contains("secretName: anvil-tls")
        .contains("- anvil-context-engine.anvil.svc")
        .contains("- \"*.anvil-context-engine-headless.anvil.svc\"")
        .contains("- anvil-trainer.anvil.svc")
        .contains("name: corp-ca");

    Path plain = Files.writeString(dir.resolve("plain.yaml"), "tls: {enabled: false}\n");
    Rendering p = Chart.render(plain);
    assertThat(p.configMap("anvil-context-engine").getData())
        .containsEntry("ANVIL_INSECURE_PLAINTEXT", "true")
        .doesNotContainKey("ANVIL_TLS_CERT");
    assertThat(p.workload("anvil-context-engine").template().getSpec().getVolumes())
        .noneMatch(v -> v.getName().equals("tls"));
  }

  @Test
  void trainerGetsAClientCertificateForTheEngineFromTheEnginesIssuer(@TempDir Path dir) {
    Path certManager =
        Chart.values(
            dir,
            """
            tls: {certManager: {issuerRef: {name: corp-ca, kind: ClusterIssuer}}}
            trainer: {tokenExchange: {secretName: anvil-trainer-exchange}}
            """);
    Rendering r = Chart.render(certManager);

    Map<String, Object> client = certificate(r, "anvil-trainer-client-tls");
    assertThat(client)
        .containsEntry("secretName", "anvil-trainer-client-tls")
        .containsEntry("commonName", "anvil-trainer")
        .containsEntry("usages", List.of("client auth", "digital signature", "key encipherment"))
        .doesNotContainKey("dnsNames");
    assertThat(client.get("issuerRef"))
        .as("the issuer of the engine's certificate, whose CA the engine trusts")
        .isEqualTo(certificate(r, "anvil-tls").get("issuerRef"))
        .isEqualTo(Map.of("name", "corp-ca", "kind", "ClusterIssuer"));
    assertThat(r.configMap("anvil-context-engine").getData())
        .containsEntry("ANVIL_TLS_CLIENT_CA", "/etc/anvil/tls/ca.crt");

    Rendering.Workload trainer = r.workload("anvil-trainer");
    assertThat(trainer.template().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("engine-client-tls"))
        .singleElement()
        .satisfies(
            v -> assertThat(v.getSecret().getSecretName()).isEqualTo("anvil-trainer-client-tls"));
    assertThat(trainer.container().getVolumeMounts())
        .filteredOn(m -> m.getName().equals("engine-client-tls"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/etc/anvil/engine-client-tls");
              assertThat(m.getReadOnly()).isTrue();
            });
    assertThat(r.configMap("anvil-trainer").getData())
        .containsEntry("ANVIL_ENGINE", "anvil-context-engine.anvil.svc:7070")
        .containsEntry("ANVIL_ENGINE_TLS_CA", "/etc/anvil/engine-client-tls/ca.crt")
        .containsEntry("ANVIL_ENGINE_TLS_CLIENT_CERT", "/etc/anvil/engine-client-tls/tls.crt")
        .containsEntry("ANVIL_ENGINE_TLS_CLIENT_KEY", "/etc/anvil/engine-client-tls/tls.key");
    assertThat(r.workload("anvil-context-engine").template().getSpec().getVolumes())
        .as("the client certificate is the trainer's alone")
        .noneMatch(v -> v.getName().equals("engine-client-tls"));
  }

  @Test
  void trainerClientCertificateSecretCanBeNamed(@TempDir Path dir) {
    Path values =
        Chart.values(
            dir,
            """
            tls:
              trainerClient: {secretName: corp-trainer-cert}
              certManager: {issuerRef: {name: corp-ca, kind: ClusterIssuer}}
            """);
    Rendering r = Chart.render(values);

    assertThat(certificate(r, "corp-trainer-cert"))
        .containsEntry("secretName", "corp-trainer-cert");
    assertThat(r.workload("anvil-trainer").template().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("engine-client-tls"))
        .singleElement()
        .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("corp-trainer-cert"));
  }

  @Test
  void withoutCertManagerTheTrainerMountsTheClientSecretYouBring() {
    Rendering r = Chart.render();

    assertThat(r.all(GenericKubernetesResource.class)).as("no Certificate").isEmpty();
    assertThat(r.workload("anvil-trainer").template().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("engine-client-tls"))
        .singleElement()
        .satisfies(
            v -> assertThat(v.getSecret().getSecretName()).isEqualTo("anvil-trainer-client-tls"));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "tls: {enabled: false, certManager: {issuerRef: {name: corp-ca, kind: Issuer}}}",
        "{contextEngine: {enabled: false}, tls: {certManager: {issuerRef: {name: corp-ca}}}}",
      })
  void noTrainerClientCertificateWithoutTlsOrWithoutTheEngine(String values, @TempDir Path dir) {
    Path file = Chart.values(dir, values + "\n");
    Rendering r = Chart.render(file);

    assertThat(r.all(GenericKubernetesResource.class))
        .noneMatch(o -> o.getMetadata().getName().equals("anvil-trainer-client-tls"));
    Rendering.Workload trainer = r.workload("anvil-trainer");
    assertThat(trainer.template().getSpec().getVolumes())
        .noneMatch(v -> v.getName().equals("engine-client-tls"));
    assertThat(trainer.container().getVolumeMounts())
        .noneMatch(m -> m.getName().equals("engine-client-tls"));
    assertThat(r.configMap("anvil-trainer").getData().keySet())
        .noneMatch(k -> k.startsWith("ANVIL_ENGINE_TLS_"));
  }

  @Test
  void trainerReadsCorporaFromTheEngineWithItsCertificateAndATokenExchangeSecret(
      @TempDir Path dir) {
    Rendering r =
        Chart.render(
            Chart.values(dir, "trainer: {tokenExchange: {secretName: anvil-trainer-exchange}}\n"));

    assertThat(engineVariables(r))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "ANVIL_ENGINE", "anvil-context-engine.anvil.svc:7070",
                "ANVIL_ENGINE_TLS_CA", "/etc/anvil/engine-client-tls/ca.crt",
                "ANVIL_ENGINE_TLS_CLIENT_CERT", "/etc/anvil/engine-client-tls/tls.crt",
                "ANVIL_ENGINE_TLS_CLIENT_KEY", "/etc/anvil/engine-client-tls/tls.key",
                "ANVIL_TOKEN_EXCHANGE_CLIENT", "anvil-trainer",
                "ANVIL_TOKEN_EXCHANGE_SECRET_FILE", "/etc/anvil/token-exchange/client-secret"));
    Rendering.Workload trainer = r.workload("anvil-trainer");
    assertThat(trainer.template().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("token-exchange"))
        .singleElement()
        .satisfies(
            v -> assertThat(v.getSecret().getSecretName()).isEqualTo("anvil-trainer-exchange"));
    assertThat(trainer.container().getVolumeMounts())
        .filteredOn(m -> m.getName().equals("token-exchange"))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/etc/anvil/token-exchange");
              assertThat(m.getReadOnly()).isTrue();
            });
    assertThat(r.workload("anvil-context-engine").template().getSpec().getVolumes())
        .as("the client secret is the trainer's alone")
        .noneMatch(v -> v.getName().equals("token-exchange"));
  }

  @Test
  void tokenExchangeClientAndKeyFollowTheValuesAndPlaintextHasNoClientCertificate(
      @TempDir Path dir) {
    Rendering r =
        Chart.render(
            Chart.values(
                dir,
                """
                tls: {enabled: false}
                trainer:
                  tokenExchange: {clientId: ml-trainer, secretName: kc-ml-trainer, secretKey: secret}
                """));

    assertThat(engineVariables(r))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "ANVIL_ENGINE", "anvil-context-engine.anvil.svc:7070",
                "ANVIL_TOKEN_EXCHANGE_CLIENT", "ml-trainer",
                "ANVIL_TOKEN_EXCHANGE_SECRET_FILE", "/etc/anvil/token-exchange/secret"));
    assertThat(r.workload("anvil-trainer").template().getSpec().getVolumes())
        .filteredOn(v -> v.getName().equals("token-exchange"))
        .singleElement()
        .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("kc-ml-trainer"));
  }

  /**
   * Without the client secret `train serve --engine` would refuse to start, so the trainer is not
   * told the engine at all (it then refuses jobs with data.engine); nor without the engine.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "{}",
        "tls: {enabled: false}",
        "contextEngine: {enabled: false}",
        "{contextEngine: {enabled: false}, trainer: {tokenExchange: {secretName: kc-trainer}}}",
      })
  void trainerIsNotToldTheEngineWithoutItOrWithoutATokenExchangeSecret(
      String values, @TempDir Path dir) {
    Rendering r = Chart.render(Chart.values(dir, values + "\n"));

    assertThat(engineVariables(r)).isEmpty();
    Rendering.Workload trainer = r.workload("anvil-trainer");
    assertThat(trainer.template().getSpec().getVolumes())
        .noneMatch(v -> v.getName().equals("token-exchange"));
    assertThat(trainer.container().getVolumeMounts())
        .noneMatch(m -> m.getName().equals("token-exchange"));
  }

  /** The trainer's ANVIL_ENGINE* and ANVIL_TOKEN_EXCHANGE* settings. */
  private static Map<String, String> engineVariables(Rendering r) {
    Map<String, String> variables = new TreeMap<>();
    r.configMap("anvil-trainer")
        .getData()
        .forEach(
            (k, v) -> {
              if (k.startsWith("ANVIL_ENGINE") || k.startsWith("ANVIL_TOKEN_EXCHANGE")) {
                variables.put(k, v);
              }
            });
    return variables;
  }

  /** The spec of the cert-manager Certificate named {@code name}. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> certificate(Rendering r, String name) {
    GenericKubernetesResource c = r.get(GenericKubernetesResource.class, name);
    assertThat(c.getApiVersion()).isEqualTo("cert-manager.io/v1");
    assertThat(c.getKind()).isEqualTo("Certificate");
    return (Map<String, Object>) c.getAdditionalProperties().get("spec");
  }

  private static final String POSTGRES =
      """
      store:
        url: "jdbc:postgresql://anvil-db.db.svc:5432/anvil?sslmode=verify-full"
        user: anvil_app
        passwordSecret: {name: anvil-db, key: pw}
      networkPolicy:
        egress:
          postgresql: [{cidr: 10.20.0.0/16, ports: [{port: 5432}]}]
      """;

  @Test
  void storeValuesGiveBothWorkloadsPostgresWithThePasswordFromItsSecretOnly(@TempDir Path dir) {
    Rendering r = Chart.render(Chart.values(dir, POSTGRES));

    for (String name : List.of("anvil-context-engine", "anvil-trainer")) {
      assertThat(r.configMap(name).getData())
          .as(name)
          .containsEntry(
              "ANVIL_STORE_URL", "jdbc:postgresql://anvil-db.db.svc:5432/anvil?sslmode=verify-full")
          .containsEntry("ANVIL_STORE_USER", "anvil_app")
          .containsEntry("ANVIL_STORE_PASSWORD_FILE", "/etc/anvil/store/pw");
      Rendering.Workload w = r.workload(name);
      assertThat(w.template().getSpec().getVolumes())
          .as(name)
          .filteredOn(v -> v.getName().equals("store-password"))
          .singleElement()
          .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("anvil-db"));
      assertThat(w.container().getVolumeMounts())
          .as(name)
          .filteredOn(m -> m.getName().equals("store-password"))
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.getMountPath()).isEqualTo("/etc/anvil/store");
                assertThat(m.getReadOnly()).isTrue();
              });
      assertThat(
              r.networkPolicies().stream()
                  .filter(np -> np.getMetadata().getName().equals(name))
                  .flatMap(np -> np.getSpec().getEgress().stream())
                  .flatMap(e -> e.getTo().stream())
                  .filter(peer -> peer.getIpBlock() != null)
                  .map(peer -> peer.getIpBlock().getCidr()))
          .as("%s may reach the database", name)
          .contains("10.20.0.0/16");
    }
    assertThat(r.all(io.fabric8.kubernetes.api.model.Secret.class))
        .as("the password's Secret is referenced by name, never rendered")
        .isEmpty();
  }

  @Test
  void withoutAStoreUrlNeitherWorkloadIsToldOfPostgresNorMayReachIt(@TempDir Path dir) {
    Rendering r =
        Chart.render(
            Chart.values(
                dir,
                """
                store: {passwordSecret: {name: anvil-db}}
                networkPolicy:
                  egress:
                    postgresql: [{cidr: 10.20.0.0/16, ports: [{port: 5432}]}]
                """));

    for (String name : List.of("anvil-context-engine", "anvil-trainer")) {
      assertThat(r.configMap(name).getData().keySet())
          .as(name)
          .noneMatch(k -> k.startsWith("ANVIL_STORE_"));
      assertThat(r.workload(name).template().getSpec().getVolumes())
          .noneMatch(v -> v.getName().equals("store-password"));
    }
    assertThat(r.networkPolicies())
        .flatMap(np -> np.getSpec().getEgress())
        .flatMap(e -> e.getTo())
        .noneMatch(p -> p.getIpBlock() != null && "10.20.0.0/16".equals(p.getIpBlock().getCidr()));
    assertThat(r.all(Deployment.class).getFirst().getSpec().getReplicas()).isEqualTo(1);
  }

  @Test
  void trainerReplicasNeedPostgresAndASharedJobVolume(@TempDir Path dir) {
    assertThatThrownBy(() -> Chart.template(Chart.values(dir, "trainer: {replicas: 2}\n")))
        .hasMessageContaining("trainer.replicas is 2")
        .hasMessageContaining("needs store.url (PostgreSQL)");
    assertThatThrownBy(
            () -> Chart.template(Chart.values(dir, POSTGRES + "trainer: {replicas: 2}\n")))
        .hasMessageContaining("trainer.persistence.jobs.accessModes has no ReadWriteMany");

    Rendering r =
        Chart.render(
            Chart.values(
                dir,
                POSTGRES
                    + "trainer: {replicas: 3, persistence: {jobs: {accessModes: [ReadWriteMany]}}}\n"));
    assertThat(r.all(Deployment.class))
        .singleElement()
        .satisfies(d -> assertThat(d.getSpec().getReplicas()).isEqualTo(3));
  }
}
