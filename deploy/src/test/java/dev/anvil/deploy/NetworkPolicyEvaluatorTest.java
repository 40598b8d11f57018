package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.deploy.NetworkPolicyEvaluator.External;
import dev.anvil.deploy.NetworkPolicyEvaluator.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The evaluator itself, on hand-written policies, so that the chart's proofs mean something. */
class NetworkPolicyEvaluatorTest {
  private static final Pod APP = Pod.in("prod", Map.of("app", "web"));

  private static NetworkPolicyEvaluator evaluator(String... yaml) {
    List<NetworkPolicy> policies =
        Chart.parse(String.join("\n---\n", yaml)).stream().map(NetworkPolicy.class::cast).toList();
    return new NetworkPolicyEvaluator(policies);
  }

  private static String policy(String spec) {
    return """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: prod}
        spec:
        """
        + spec.indent(2);
  }

  @Test
  void podsWithoutPoliciesAreNotIsolated() {
    var e = evaluator(policy("podSelector: {matchLabels: {app: other}}\npolicyTypes: [Egress]"));

    assertThat(e.egressAllowed(APP, External.at("8.8.8.8"), 443, "TCP")).isTrue();
  }

  @Test
  void aSelectedPodWithNoEgressRulesMayConnectNowhere() {
    var e = evaluator(policy("podSelector: {}\npolicyTypes: [Ingress, Egress]"));

    assertThat(e.egressAllowed(APP, External.at("10.0.0.1"), 53, "UDP")).isFalse();
    assertThat(e.egressAllowed(APP, Pod.in("prod", Map.of()), 80, "TCP")).isFalse();
  }

  @Test
  void withoutPolicyTypesOnlyIngressIsIsolatedUnlessEgressRulesExist() {
    var e = evaluator(policy("podSelector: {}"));

    assertThat(e.egressAllowed(APP, External.at("8.8.8.8"), 443, "TCP")).isTrue();
    assertThat(e.ingressAllowed(APP, Pod.in("prod", Map.of()), 80, "TCP")).isFalse();
  }

  @Test
  void ipBlockMatchesItsCidrButNotItsExceptionsAndOnlyTheListedPorts() {
    var e =
        evaluator(
            policy(
                """
                podSelector: {}
                policyTypes: [Egress]
                egress:
                  - to: [{ipBlock: {cidr: 10.20.0.0/16, except: [10.20.99.0/24]}}]
                    ports: [{port: 9092}, {port: 9100, endPort: 9102, protocol: TCP}]
                """));

    assertThat(e.egressAllowed(APP, External.at("10.20.1.2"), 9092, "TCP")).isTrue();
    assertThat(e.egressAllowed(APP, External.at("10.20.1.2"), 9101, "TCP")).isTrue();
    assertThat(e.egressAllowed(APP, External.at("10.20.1.2"), 9103, "TCP")).isFalse();
    assertThat(e.egressAllowed(APP, External.at("10.20.1.2"), 9092, "UDP")).isFalse();
    assertThat(e.egressAllowed(APP, External.at("10.20.99.2"), 9092, "TCP")).isFalse();
    assertThat(e.egressAllowed(APP, External.at("10.21.0.1"), 9092, "TCP")).isFalse();
    assertThat(e.egressAllowed(APP, External.at("::ffff:10.21.0.1"), 9092, "TCP")).isFalse();
    assertThat(e.egressAllowed(APP, External.at("2001:db8::1"), 9092, "TCP")).isFalse();
  }

  @Test
  void ruleWithoutPortsAllowsEveryPortAndRuleWithoutPeersEveryDestination() {
    var e =
        evaluator(
            policy(
                """
                podSelector: {}
                policyTypes: [Egress]
                egress:
                  - to: [{ipBlock: {cidr: 192.168.0.0/24}}]
                  - ports: [{port: 53, protocol: UDP}]
                """));

    assertThat(e.egressAllowed(APP, External.at("192.168.0.7"), 1234, "SCTP")).isTrue();
    assertThat(e.egressAllowed(APP, External.at("8.8.8.8"), 53, "UDP")).isTrue();
    assertThat(e.egressAllowed(APP, External.at("8.8.8.8"), 53, "TCP")).isFalse();
  }

  @Test
  void selectorsMatchNamespacesAndPodsAndNeverExternalAddresses() {
    var e =
        evaluator(
            policy(
                """
                podSelector: {matchLabels: {app: web}}
                policyTypes: [Egress]
                egress:
                  - to:
                      - namespaceSelector: {matchLabels: {team: data}}
                        podSelector:
                          matchExpressions: [{key: role, operator: In, values: [broker]}]
                      - podSelector: {matchLabels: {app: cache}}
                """));
    var broker = new Pod("kafka", Map.of("team", "data"), Map.of("role", "broker"), Map.of(), null);

    assertThat(e.egressAllowed(APP, broker, 9092, "TCP")).isTrue();
    assertThat(e.egressAllowed(APP, Pod.in("kafka", Map.of("role", "broker")), 9092, "TCP"))
        .as("namespace without the label")
        .isFalse();
    assertThat(e.egressAllowed(APP, Pod.in("prod", Map.of("app", "cache")), 6379, "TCP")).isTrue();
    assertThat(e.egressAllowed(APP, Pod.in("other", Map.of("app", "cache")), 6379, "TCP"))
        .as("podSelector alone: the policy's namespace only")
        .isFalse();
    assertThat(e.egressAllowed(APP, External.at("10.0.0.1"), 6379, "TCP")).isFalse();
  }

  @Test
  void namedPortsAreThoseOfThePodReceivingTheConnection() {
    var e =
        evaluator(
            policy(
                """
                podSelector: {}
                policyTypes: [Ingress]
                ingress:
                  - from: [{podSelector: {}}]
                    ports: [{port: grpc}]
                """));
    Pod server = APP.withNamedPorts(Map.of("grpc", 7070));

    assertThat(e.ingressAllowed(server, Pod.in("prod", Map.of()), 7070, "TCP")).isTrue();
    assertThat(e.ingressAllowed(server, Pod.in("prod", Map.of()), 7071, "TCP")).isFalse();
    assertThat(e.ingressAllowed(server, Pod.in("dev", Map.of()), 7070, "TCP")).isFalse();
  }

  @Test
  void cidrArithmetic() {
    assertThat(NetworkPolicyEvaluator.inCidr("10.0.0.0/8", External.at("10.255.1.1").address()))
        .isTrue();
    assertThat(NetworkPolicyEvaluator.inCidr("10.0.0.0/8", External.at("11.0.0.1").address()))
        .isFalse();
    assertThat(NetworkPolicyEvaluator.inCidr("0.0.0.0/0", External.at("8.8.8.8").address()))
        .isTrue();
    assertThat(NetworkPolicyEvaluator.inCidr("0.0.0.0/0", External.at("2001:db8::1").address()))
        .isFalse();
    assertThat(
            NetworkPolicyEvaluator.inCidr("2001:db8::/32", External.at("2001:db8:1::5").address()))
        .isTrue();
    assertThat(NetworkPolicyEvaluator.inCidr("10.1.2.128/25", External.at("10.1.2.127").address()))
        .isFalse();
  }
}
