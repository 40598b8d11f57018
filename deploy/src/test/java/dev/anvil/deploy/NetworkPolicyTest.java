package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.deploy.NetworkPolicyEvaluator.Endpoint;
import dev.anvil.deploy.NetworkPolicyEvaluator.External;
import dev.anvil.deploy.NetworkPolicyEvaluator.Pod;
import io.fabric8.kubernetes.api.model.ContainerPort;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing leaves: the rendered NetworkPolicies, evaluated with Kubernetes semantics, allow exactly
 * DNS and the configured endpoints.
 */
class NetworkPolicyTest {
  private static final Pod KUBE_DNS = Pod.in("kube-system", Map.of("k8s-app", "kube-dns"));
  private static final Pod KEYCLOAK =
      Pod.in("keycloak", Map.of("app.kubernetes.io/name", "keycloak"));
  private static final Pod KEYCLOAK_LOOKALIKE =
      Pod.in("default", Map.of("app.kubernetes.io/name", "keycloak"));
  private static final Pod COLLECTOR =
      Pod.in("observability", Map.of("app.kubernetes.io/name", "opentelemetry-collector"));
  private static final Pod PROMETHEUS =
      Pod.in("monitoring", Map.of("app.kubernetes.io/name", "prometheus"));
  private static final Pod AGENT = Pod.in("agents", Map.of("app", "agent"));
  private static final Pod NEIGHBOUR = Pod.in(Chart.NAMESPACE, Map.of("app", "something-else"));
  private static final External KAFKA = External.at("10.20.1.5");
  private static final External KAFKA_MANAGEMENT = External.at("10.20.99.7");

  private record Connection(String name, Endpoint to, int port, String protocol) {
    @Override
    public String toString() {
      return name + " " + port + "/" + protocol;
    }
  }

  /** Everything a compromised or misconfigured pod might try, with what it is. */
  private static final List<Connection> CANDIDATES =
      List.of(
          new Connection("kube-dns", KUBE_DNS, 53, "UDP"),
          new Connection("kube-dns", KUBE_DNS, 53, "TCP"),
          new Connection("kafka", KAFKA, 9093, "TCP"),
          new Connection("keycloak", KEYCLOAK, 8443, "TCP"),
          new Connection("otlp collector", COLLECTOR, 4318, "TCP"),
          new Connection("internet 8.8.8.8", External.at("8.8.8.8"), 443, "TCP"),
          new Connection("public DNS 1.1.1.1", External.at("1.1.1.1"), 53, "UDP"),
          new Connection("public DNS 1.1.1.1", External.at("1.1.1.1"), 53, "TCP"),
          new Connection("kafka on another port", KAFKA, 9092, "TCP"),
          new Connection("kafka on ssh", KAFKA, 22, "TCP"),
          new Connection("kafka management host (except)", KAFKA_MANAGEMENT, 9093, "TCP"),
          new Connection(
              "keycloak look-alike in namespace default", KEYCLOAK_LOOKALIKE, 8443, "TCP"),
          new Connection("keycloak on another port", KEYCLOAK, 8080, "TCP"),
          new Connection(
              "kube-dns look-alike in anvil",
              Pod.in(Chart.NAMESPACE, Map.of("k8s-app", "kube-dns")),
              53,
              "UDP"),
          new Connection("IPv6 internet", External.at("2001:4860:4860::8888"), 443, "TCP"),
          new Connection("IPv6 DNS", External.at("2606:4700:4700::1111"), 53, "UDP"),
          new Connection("pod in the same namespace", NEIGHBOUR, 8080, "TCP"),
          new Connection("cloud metadata", External.at("169.254.169.254"), 80, "TCP"));

  @Test
  void productionContextEngineReachesOnlyDnsKafkaKeycloakAndTheCollector() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);

    assertThat(allowed(r, "anvil-context-engine"))
        .containsExactly(
            "kube-dns 53/UDP",
            "kube-dns 53/TCP",
            "kafka 9093/TCP",
            "keycloak 8443/TCP",
            "otlp collector 4318/TCP");
  }

  @Test
  void productionTrainerReachesOnlyDnsKafkaKeycloakAndTheCollector() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);

    assertThat(allowed(r, "anvil-trainer"))
        .containsExactly(
            "kube-dns 53/UDP",
            "kube-dns 53/TCP",
            "kafka 9093/TCP",
            "keycloak 8443/TCP",
            "otlp collector 4318/TCP");
  }

  @Test
  void trainerReachesKafkaOnlyWhenItSendsJobEvents(@TempDir Path dir) {
    Path noBootstrap = Chart.values(dir, "contextEngine: {kafka: {bootstrap: ''}}\n");
    Rendering r = Chart.render(Chart.PRODUCTION_GPU, noBootstrap);

    assertThat(allowed(r, "anvil-trainer"))
        .containsExactly(
            "kube-dns 53/UDP", "kube-dns 53/TCP", "keycloak 8443/TCP", "otlp collector 4318/TCP");
  }

  @Test
  void withDefaultValuesOnlyDnsIsAllowed() {
    Rendering r = Chart.render();

    for (String workload : List.of("anvil-context-engine", "anvil-trainer")) {
      assertThat(allowed(r, workload))
          .as(workload)
          .containsExactly("kube-dns 53/UDP", "kube-dns 53/TCP");
    }
  }

  @Test
  void everyPodIsIsolatedInBothDirections() {
    for (Rendering r : List.of(Chart.render(), Chart.render(Chart.PRODUCTION_GPU))) {
      var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
      for (Rendering.Workload w : r.workloads()) {
        Pod pod = pod(w);
        assertThat(r.networkPolicies())
            .filteredOn(
                p -> NetworkPolicyEvaluator.matches(p.getSpec().getPodSelector(), pod.labels()))
            .as("%s: a policy isolating it for ingress and egress", w.name())
            .anySatisfy(
                p -> assertThat(p.getSpec().getPolicyTypes()).contains("Ingress", "Egress"));
        assertThat(evaluator.ingressAllowed(pod, External.at("8.8.8.8"), 7070, "TCP")).isFalse();
      }
    }
  }

  @Test
  void grpcIsCalledOnlyFromTheConfiguredPeersAndMetricsScrapedOnlyByPrometheus() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);
    var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
    Pod engine = pod(r.workload("anvil-context-engine"));
    Pod trainer = pod(r.workload("anvil-trainer"));

    assertThat(evaluator.ingressAllowed(engine, AGENT, 7070, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, NEIGHBOUR, 7070, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, AGENT, 9464, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, PROMETHEUS, 9464, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(trainer, PROMETHEUS, 9464, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(trainer, AGENT, 7071, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(trainer, NEIGHBOUR, 7071, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, AGENT, 9464, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, AGENT, 7070, "TCP"))
        .as("only the trainer's own gRPC port")
        .isFalse();
    assertThat(evaluator.allows(trainer, engine, 7070, "TCP"))
        .as("the trainer does not call the context engine")
        .isFalse();
    assertThat(evaluator.allows(engine, trainer, 7071, "TCP"))
        .as("nor the context engine the trainer")
        .isFalse();
  }

  @Test
  void byDefaultGrpcIsOpenToTheReleaseNamespaceOnly() {
    Rendering r = Chart.render();
    var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
    Pod engine = pod(r.workload("anvil-context-engine"));
    Pod trainer = pod(r.workload("anvil-trainer"));

    assertThat(evaluator.ingressAllowed(engine, NEIGHBOUR, 7070, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, AGENT, 7070, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, NEIGHBOUR, 9464, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, NEIGHBOUR, 7071, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(trainer, AGENT, 7071, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, NEIGHBOUR, 9464, "TCP")).isFalse();
  }

  /** The candidates a workload's pod may connect to, in the order of {@link #CANDIDATES}. */
  private static List<String> allowed(Rendering r, String workload) {
    var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
    Pod from = pod(r.workload(workload));
    return CANDIDATES.stream()
        .filter(c -> evaluator.allows(from, c.to(), c.port(), c.protocol()))
        .map(Connection::toString)
        .toList();
  }

  /** The pod a workload creates, with its template's labels and named ports. */
  private static Pod pod(Rendering.Workload w) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    List<ContainerPort> declared = w.container().getPorts();
    if (declared != null) {
      declared.forEach(p -> ports.put(p.getName(), p.getContainerPort()));
    }
    return Pod.in(Chart.NAMESPACE, w.template().getMetadata().getLabels()).withNamedPorts(ports);
  }
}
