package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.deploy.NetworkPolicyEvaluator.Endpoint;
import dev.anvil.deploy.NetworkPolicyEvaluator.External;
import dev.anvil.deploy.NetworkPolicyEvaluator.Pod;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.nio.file.Path;
import java.util.ArrayList;
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
  private static final Pod ML_CI = Pod.in("ml-ci", Map.of("app", "runner"));
  private static final Pod NEIGHBOUR = Pod.in(Chart.NAMESPACE, Map.of("app", "something-else"));
  private static final Pod ENGINE_CLIENT =
      Pod.in(Chart.NAMESPACE, Map.of("anvil.dev/context-engine-client", "true"));
  private static final Pod TRAINER_CLIENT =
      Pod.in(Chart.NAMESPACE, Map.of("anvil.dev/trainer-client", "true"));
  private static final External NODE = External.at("10.0.1.7");
  private static final External KAFKA = External.at("10.20.1.5");
  private static final External KAFKA_MANAGEMENT = External.at("10.20.99.7");
  private static final Pod ELASTICSEARCH =
      Pod.in("search", Map.of("elasticsearch.k8s.elastic.co/cluster-name", "corp"));
  private static final Pod ELASTICSEARCH_LOOKALIKE =
      Pod.in(Chart.NAMESPACE, Map.of("elasticsearch.k8s.elastic.co/cluster-name", "corp"));

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
          new Connection("cloud metadata", External.at("169.254.169.254"), 80, "TCP"),
          new Connection("elasticsearch", ELASTICSEARCH, 9200, "TCP"),
          new Connection("elasticsearch transport", ELASTICSEARCH, 9300, "TCP"),
          new Connection(
              "elasticsearch look-alike in anvil", ELASTICSEARCH_LOOKALIKE, 9200, "TCP"));

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
  void withTheClusterBackendOnlyTheEngineReachesTheClustersHttpPort() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU, Chart.ELASTICSEARCH);

    assertThat(allowed(r, "anvil-context-engine"))
        .containsExactly(
            "kube-dns 53/UDP",
            "kube-dns 53/TCP",
            "kafka 9093/TCP",
            "keycloak 8443/TCP",
            "otlp collector 4318/TCP",
            "elasticsearch 9200/TCP");
    assertThat(allowed(r, "anvil-trainer"))
        .as("the trainer reads chunks through the engine, never from the cluster")
        .doesNotContain("elasticsearch 9200/TCP");
  }

  @Test
  void clusterEgressIsRenderedOnlyWithTheClusterBackend(@TempDir Path dir) {
    Path embedded = Chart.values(dir, "contextEngine: {backend: embedded}\n");
    Rendering r = Chart.render(Chart.PRODUCTION_GPU, Chart.ELASTICSEARCH, embedded);

    assertThat(allowed(r, "anvil-context-engine"))
        .containsExactly(
            "kube-dns 53/UDP",
            "kube-dns 53/TCP",
            "kafka 9093/TCP",
            "keycloak 8443/TCP",
            "otlp collector 4318/TCP");
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
  void eachGrpcPortIsCalledOnlyByItsOwnPeersAndMetricsScrapedOnlyByPrometheus() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);
    var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
    Pod engine = pod(r.workload("anvil-context-engine"));
    Pod trainer = pod(r.workload("anvil-trainer"));

    assertThat(evaluator.ingressAllowed(engine, AGENT, 7070, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, ML_CI, 7070, "TCP"))
        .as("the trainer's clients do not call the engine")
        .isFalse();
    assertThat(evaluator.ingressAllowed(engine, NEIGHBOUR, 7070, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, AGENT, 9464, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, PROMETHEUS, 9464, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, PROMETHEUS, 7070, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, PROMETHEUS, 9464, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(trainer, ML_CI, 7071, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(trainer, AGENT, 7071, "TCP"))
        .as("the engine's clients do not call the trainer")
        .isFalse();
    assertThat(evaluator.ingressAllowed(trainer, NEIGHBOUR, 7071, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, ML_CI, 9464, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, ML_CI, 7070, "TCP"))
        .as("only the trainer's own gRPC port")
        .isFalse();
    assertThat(evaluator.allows(engine, trainer, 7071, "TCP"))
        .as("the context engine does not call the trainer")
        .isFalse();
  }

  @Test
  void theMcpPortIsOpenOnlyWhenEnabledAndOnlyToItsAgents(@TempDir Path dir) {
    Rendering production = Chart.render(Chart.PRODUCTION_GPU);
    var evaluator = new NetworkPolicyEvaluator(production.networkPolicies());
    Pod engine = pod(production.workload("anvil-context-engine"));
    assertThat(evaluator.ingressAllowed(engine, AGENT, 7072, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, ML_CI, 7072, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, NEIGHBOUR, 7072, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, PROMETHEUS, 7072, "TCP")).isFalse();

    // Without peers of its own: only pods labelled as its clients, not the gRPC port's.
    Rendering defaults = Chart.render(Chart.values(dir, "contextEngine: {mcp: {enabled: true}}\n"));
    var unlisted = new NetworkPolicyEvaluator(defaults.networkPolicies());
    Pod defaultEngine = pod(defaults.workload("anvil-context-engine"));
    Pod mcpClient = Pod.in(Chart.NAMESPACE, Map.of("anvil.dev/context-engine-mcp-client", "true"));
    assertThat(unlisted.ingressAllowed(defaultEngine, mcpClient, 7072, "TCP")).isTrue();
    assertThat(unlisted.ingressAllowed(defaultEngine, ENGINE_CLIENT, 7072, "TCP")).isFalse();
    assertThat(unlisted.ingressAllowed(defaultEngine, mcpClient, 7070, "TCP")).isFalse();

    Rendering off = Chart.render();
    Pod offEngine = pod(off.workload("anvil-context-engine"));
    assertThat(
            new NetworkPolicyEvaluator(off.networkPolicies())
                .ingressAllowed(offEngine, mcpClient, 7072, "TCP"))
        .as("no MCP port unless enabled")
        .isFalse();
    assertThat(off.configMap("anvil-context-engine").getData()).doesNotContainKey("ANVIL_MCP_PORT");
    assertThat(production.configMap("anvil-context-engine").getData())
        .containsEntry("ANVIL_MCP_PORT", "7072");
  }

  @Test
  void theConsolePortAdmitsOnlyItsOwnClientsAndOnlyWhenEnabled(@TempDir Path dir) {
    Rendering on = Chart.render(Chart.values(dir, "contextEngine: {console: {enabled: true}}\n"));
    var evaluator = new NetworkPolicyEvaluator(on.networkPolicies());
    Pod engine = pod(on.workload("anvil-context-engine"));
    Pod admin = Pod.in(Chart.NAMESPACE, Map.of("anvil.dev/context-engine-console-client", "true"));
    assertThat(evaluator.ingressAllowed(engine, admin, 7073, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, ENGINE_CLIENT, 7073, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, admin, 7070, "TCP")).isFalse();
    assertThat(on.configMap("anvil-context-engine").getData())
        .containsEntry("ANVIL_CONSOLE_PORT", "7073");

    Rendering off = Chart.render();
    assertThat(
            new NetworkPolicyEvaluator(off.networkPolicies())
                .ingressAllowed(pod(off.workload("anvil-context-engine")), admin, 7073, "TCP"))
        .as("no console port unless enabled")
        .isFalse();
    assertThat(off.configMap("anvil-context-engine").getData())
        .doesNotContainKey("ANVIL_CONSOLE_PORT");
  }

  @Test
  void engineGrpcRuleHasExactlyTheConfiguredPeersAndTheTrainer() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);

    assertThat(grpcPeers(r, "anvil-context-engine"))
        .containsExactlyInAnyOrder(
            namespacePeer("agents"),
            podPeer(
                Map.of(
                    "app.kubernetes.io/name", "anvil",
                    "app.kubernetes.io/instance", Chart.RELEASE,
                    "app.kubernetes.io/component", "trainer")));
    assertThat(grpcPeers(r, "anvil-trainer"))
        .as("the trainer's own peers, not the engine's")
        .containsExactly(namespacePeer("ml-ci"));
  }

  @Test
  void withoutTheTrainerTheEngineAdmitsOnlyItsConfiguredPeers(@TempDir Path dir) {
    Path noTrainer = Chart.values(dir, "trainer: {enabled: false}\n");
    Rendering r = Chart.render(Chart.PRODUCTION_GPU, noTrainer);
    var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
    Pod engine = pod(r.workload("anvil-context-engine"));
    Pod trainerLike =
        Pod.in(
            Chart.NAMESPACE,
            Map.of(
                "app.kubernetes.io/name", "anvil",
                "app.kubernetes.io/instance", Chart.RELEASE,
                "app.kubernetes.io/component", "trainer"));

    assertThat(grpcPeers(r, "anvil-context-engine")).containsExactly(namespacePeer("agents"));
    assertThat(evaluator.ingressAllowed(engine, trainerLike, 7070, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, AGENT, 7070, "TCP")).isTrue();
  }

  @Test
  void trainerReachesTheEnginesGrpcPortAndNothingElseOfIt() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);
    var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
    Pod engine = pod(r.workload("anvil-context-engine"));
    Pod trainer = pod(r.workload("anvil-trainer"));

    assertThat(evaluator.allows(trainer, engine, 7070, "TCP")).isTrue();
    assertThat(evaluator.allows(trainer, engine, 7080, "TCP")).as("health port").isFalse();
    assertThat(evaluator.allows(trainer, engine, 9464, "TCP")).as("metrics port").isFalse();
    assertThat(evaluator.allows(trainer, engine, 7070, "UDP")).isFalse();
    assertThat(evaluator.egressAllowed(trainer, NEIGHBOUR, 7070, "TCP"))
        .as("only the engine's pods on that port")
        .isFalse();
    assertThat(evaluator.allows(engine, engine, 7070, "TCP"))
        .as("the engine gains no egress")
        .isFalse();
  }

  @Test
  void trainerHasNoEgressToTheEngineWithoutIt(@TempDir Path dir) {
    Path noEngine = Chart.values(dir, "contextEngine: {enabled: false}\n");
    Rendering r = Chart.render(Chart.PRODUCTION_GPU, noEngine);
    NetworkPolicy trainer = r.get(NetworkPolicy.class, "anvil-trainer");

    assertThat(trainer.getSpec().getEgress())
        .flatExtracting(NetworkPolicyEgressRule::getTo)
        .noneSatisfy(
            peer ->
                assertThat(
                        peer.getPodSelector() == null
                            ? Map.of()
                            : peer.getPodSelector().getMatchLabels())
                    .containsEntry("app.kubernetes.io/component", "context-engine"));
    assertThat(allowed(r, "anvil-trainer"))
        .containsExactly(
            "kube-dns 53/UDP",
            "kube-dns 53/TCP",
            "kafka 9093/TCP",
            "keycloak 8443/TCP",
            "otlp collector 4318/TCP");
  }

  @Test
  void byDefaultEachGrpcPortIsOpenOnlyToLabelledPodsOfTheReleaseNamespace() {
    Rendering r = Chart.render();
    var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
    Pod engine = pod(r.workload("anvil-context-engine"));
    Pod trainer = pod(r.workload("anvil-trainer"));

    assertThat(evaluator.ingressAllowed(engine, ENGINE_CLIENT, 7070, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, TRAINER_CLIENT, 7070, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, NEIGHBOUR, 7070, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, AGENT, 7070, "TCP")).isFalse();
    assertThat(
            evaluator.ingressAllowed(
                engine,
                Pod.in("agents", Map.of("anvil.dev/context-engine-client", "true")),
                7070,
                "TCP"))
        .as("the label admits pods of the release namespace only")
        .isFalse();
    assertThat(evaluator.ingressAllowed(engine, ENGINE_CLIENT, 9464, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, TRAINER_CLIENT, 7071, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(trainer, ENGINE_CLIENT, 7071, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, NEIGHBOUR, 7071, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, TRAINER_CLIENT, 9464, "TCP")).isFalse();
    assertThat(evaluator.allows(trainer, engine, 7070, "TCP")).isTrue();
  }

  @Test
  void byDefaultTheHealthPortsAreOpenAndNoOtherPortWithThem() {
    Rendering r = Chart.render();
    var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
    Pod engine = pod(r.workload("anvil-context-engine"));
    Pod trainer = pod(r.workload("anvil-trainer"));

    assertThat(evaluator.ingressAllowed(engine, NODE, 7080, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, NEIGHBOUR, 7080, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(trainer, NODE, 7081, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, NODE, 7070, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, NODE, 7071, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, NODE, 7081, "TCP"))
        .as("the engine's own health port only")
        .isFalse();
    assertThat(evaluator.ingressAllowed(engine, NODE, 7080, "UDP")).isFalse();
    assertHealthRulesNameOnlyTheHealthPort(r);
  }

  @Test
  void configuredHealthPeersReachOnlyTheHealthPorts() {
    Rendering r = Chart.render(Chart.PRODUCTION_GPU);
    var evaluator = new NetworkPolicyEvaluator(r.networkPolicies());
    Pod engine = pod(r.workload("anvil-context-engine"));
    Pod trainer = pod(r.workload("anvil-trainer"));

    assertThat(evaluator.ingressAllowed(engine, NODE, 7080, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(trainer, NODE, 7081, "TCP")).isTrue();
    assertThat(evaluator.ingressAllowed(engine, External.at("10.0.9.7"), 7080, "TCP"))
        .as("outside the nodes' CIDR")
        .isFalse();
    assertThat(evaluator.ingressAllowed(engine, AGENT, 7080, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, NODE, 7070, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(engine, NODE, 9464, "TCP")).isFalse();
    assertThat(evaluator.ingressAllowed(trainer, NODE, 7071, "TCP")).isFalse();
    assertHealthRulesNameOnlyTheHealthPort(r);
  }

  /** Every ingress rule that opens a health port opens nothing else. */
  private static void assertHealthRulesNameOnlyTheHealthPort(Rendering r) {
    List<NetworkPolicyIngressRule> healthRules =
        r.networkPolicies().stream()
            .flatMap(p -> p.getSpec().getIngress().stream())
            .filter(rule -> rule.getPorts().stream().anyMatch(NetworkPolicyTest::isHealth))
            .toList();
    assertThat(healthRules).hasSize(r.networkPolicies().size());
    assertThat(healthRules)
        .allSatisfy(
            rule ->
                assertThat(rule.getPorts()).singleElement().matches(NetworkPolicyTest::isHealth));
  }

  private static boolean isHealth(NetworkPolicyPort port) {
    return "health".equals(port.getPort().getStrVal()) && "TCP".equals(port.getProtocol());
  }

  /** The peers of a policy's ingress rules on the gRPC port, each rule naming only that port. */
  private static List<NetworkPolicyPeer> grpcPeers(Rendering r, String policy) {
    List<NetworkPolicyPeer> peers = new ArrayList<>();
    for (NetworkPolicyIngressRule rule :
        r.get(NetworkPolicy.class, policy).getSpec().getIngress()) {
      if (rule.getPorts().stream().anyMatch(p -> "grpc".equals(p.getPort().getStrVal()))) {
        assertThat(rule.getPorts()).as("%s: a gRPC rule opens that port only", policy).hasSize(1);
        peers.addAll(rule.getFrom());
      }
    }
    return peers;
  }

  private static NetworkPolicyPeer namespacePeer(String namespace) {
    return new NetworkPolicyPeerBuilder()
        .withNewNamespaceSelector()
        .withMatchLabels(Map.of("kubernetes.io/metadata.name", namespace))
        .endNamespaceSelector()
        .build();
  }

  private static NetworkPolicyPeer podPeer(Map<String, String> labels) {
    return new NetworkPolicyPeerBuilder()
        .withNewPodSelector()
        .withMatchLabels(labels)
        .endPodSelector()
        .build();
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
