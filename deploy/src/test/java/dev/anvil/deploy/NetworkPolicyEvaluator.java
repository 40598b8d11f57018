package dev.anvil.deploy;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Kubernetes NetworkPolicy semantics (networking.k8s.io/v1), for tests: whether a connection is
 * allowed by a set of policies.
 *
 * <ul>
 *   <li>A policy applies to the pods of its namespace that its podSelector selects.
 *   <li>A pod is isolated for egress (ingress) if a policy applying to it has Egress (Ingress) in
 *       its policyTypes; a pod that is not isolated may connect freely in that direction.
 *   <li>An isolated pod's connection is allowed if any rule of any applying policy allows it: some
 *       peer matches (no peers: every peer) and some port matches (no ports: every port).
 *   <li>Peers: an ipBlock matches addresses in its cidr but in none of its excepts; a
 *       namespaceSelector alone matches pods of the selected namespaces, a podSelector alone pods
 *       of the policy's namespace, both together pods matching both. Selector peers never match
 *       addresses outside the cluster.
 *   <li>Ports: the protocol (default TCP) must be equal; a number matches that port (up to
 *       endPort), a name the named container port of the pod that receives the connection.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
final class NetworkPolicyEvaluator {
  /** One end of a connection. */
  sealed interface Endpoint permits Pod, External {}

  /**
   * A pod: its namespace (with that namespace's labels), its labels, its named container ports, and
   * its address (may be null).
   */
  record Pod(
      String namespace,
      Map<String, String> namespaceLabels,
      Map<String, String> labels,
      Map<String, Integer> namedPorts,
      InetAddress address)
      implements Endpoint {
    Pod {
      Objects.requireNonNull(namespace, "namespace");
      namespaceLabels = Map.copyOf(namespaceLabels);
      labels = Map.copyOf(labels);
      namedPorts = Map.copyOf(namedPorts);
    }

    /** A pod in a namespace that carries the standard kubernetes.io/metadata.name label. */
    static Pod in(String namespace, Map<String, String> labels) {
      return new Pod(
          namespace, Map.of("kubernetes.io/metadata.name", namespace), labels, Map.of(), null);
    }

    Pod withNamedPorts(Map<String, Integer> ports) {
      return new Pod(namespace, namespaceLabels, labels, ports, address);
    }
  }

  /** An address outside the cluster. */
  record External(InetAddress address) implements Endpoint {
    External {
      Objects.requireNonNull(address, "address");
    }

    static External at(String address) {
      return new External(parse(address));
    }
  }

  private final List<NetworkPolicy> policies;

  NetworkPolicyEvaluator(List<NetworkPolicy> policies) {
    this.policies = List.copyOf(policies);
  }

  /** Whether {@code from} may open a connection to {@code to} on {@code port}/{@code protocol}. */
  boolean allows(Pod from, Endpoint to, int port, String protocol) {
    return egressAllowed(from, to, port, protocol)
        && (!(to instanceof Pod target) || ingressAllowed(target, from, port, protocol));
  }

  /** The egress half: what {@code from}'s policies say. */
  boolean egressAllowed(Pod from, Endpoint to, int port, String protocol) {
    List<NetworkPolicy> applying = applying(from, "Egress");
    if (applying.isEmpty()) {
      return true;
    }
    Map<String, Integer> namedPorts = to instanceof Pod p ? p.namedPorts() : Map.of();
    for (NetworkPolicy policy : applying) {
      String ns = policy.getMetadata().getNamespace();
      for (var rule : nullToEmpty(policy.getSpec().getEgress())) {
        if (peersMatch(rule.getTo(), ns, to)
            && portsMatch(rule.getPorts(), port, protocol, namedPorts)) {
          return true;
        }
      }
    }
    return false;
  }

  /** The ingress half: what {@code to}'s policies say about a connection from {@code from}. */
  boolean ingressAllowed(Pod to, Endpoint from, int port, String protocol) {
    List<NetworkPolicy> applying = applying(to, "Ingress");
    if (applying.isEmpty()) {
      return true;
    }
    for (NetworkPolicy policy : applying) {
      String ns = policy.getMetadata().getNamespace();
      for (var rule : nullToEmpty(policy.getSpec().getIngress())) {
        if (peersMatch(rule.getFrom(), ns, from)
            && portsMatch(rule.getPorts(), port, protocol, to.namedPorts())) {
          return true;
        }
      }
    }
    return false;
  }

  private List<NetworkPolicy> applying(Pod pod, String direction) {
    return policies.stream()
        .filter(p -> pod.namespace().equals(namespaceOf(p)))
        .filter(p -> matches(p.getSpec().getPodSelector(), pod.labels()))
        .filter(p -> policyTypes(p).contains(direction))
        .toList();
  }

  private static String namespaceOf(NetworkPolicy p) {
    String ns = p.getMetadata().getNamespace();
    if (ns == null) {
      throw new IllegalArgumentException(
          "NetworkPolicy " + p.getMetadata().getName() + " has no metadata.namespace");
    }
    return ns;
  }

  /** policyTypes, or the API server's default: Ingress, plus Egress if there are egress rules. */
  private static List<String> policyTypes(NetworkPolicy p) {
    List<String> types = p.getSpec().getPolicyTypes();
    if (types != null && !types.isEmpty()) {
      return types;
    }
    return p.getSpec().getEgress() != null && !p.getSpec().getEgress().isEmpty()
        ? List.of("Ingress", "Egress")
        : List.of("Ingress");
  }

  private static boolean peersMatch(List<NetworkPolicyPeer> peers, String policyNs, Endpoint e) {
    if (peers == null || peers.isEmpty()) {
      return true;
    }
    return peers.stream().anyMatch(peer -> peerMatches(peer, policyNs, e));
  }

  private static boolean peerMatches(NetworkPolicyPeer peer, String policyNs, Endpoint e) {
    if (peer.getIpBlock() != null) {
      InetAddress address =
          switch (e) {
            case External x -> x.address();
            case Pod p -> p.address();
          };
      return address != null && inBlock(peer.getIpBlock(), address);
    }
    if (peer.getNamespaceSelector() == null && peer.getPodSelector() == null) {
      throw new IllegalArgumentException("a peer needs ipBlock, namespaceSelector or podSelector");
    }
    if (!(e instanceof Pod pod)) {
      return false;
    }
    boolean namespaceOk =
        peer.getNamespaceSelector() != null
            ? matches(peer.getNamespaceSelector(), pod.namespaceLabels())
            : pod.namespace().equals(policyNs);
    boolean podOk = peer.getPodSelector() == null || matches(peer.getPodSelector(), pod.labels());
    return namespaceOk && podOk;
  }

  private static boolean portsMatch(
      List<NetworkPolicyPort> ports, int port, String protocol, Map<String, Integer> namedPorts) {
    if (ports == null || ports.isEmpty()) {
      return true;
    }
    for (NetworkPolicyPort p : ports) {
      String proto = p.getProtocol() == null ? "TCP" : p.getProtocol();
      if (!proto.equals(protocol)) {
        continue;
      }
      IntOrString value = p.getPort();
      if (value == null) {
        return true;
      }
      if (value.getIntVal() != null) {
        int end = p.getEndPort() == null ? value.getIntVal() : p.getEndPort();
        if (port >= value.getIntVal() && port <= end) {
          return true;
        }
      } else if (Objects.equals(namedPorts.get(value.getStrVal()), port)) {
        return true;
      }
    }
    return false;
  }

  /** Label selector semantics; an empty selector selects everything. */
  static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (selector == null) {
      return true;
    }
    if (selector.getMatchLabels() != null) {
      for (var e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(labels.get(e.getKey()))) {
          return false;
        }
      }
    }
    for (LabelSelectorRequirement r : nullToEmpty(selector.getMatchExpressions())) {
      String value = labels.get(r.getKey());
      List<String> values = nullToEmpty(r.getValues());
      boolean ok =
          switch (r.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            default ->
                throw new IllegalArgumentException("unknown selector operator " + r.getOperator());
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean inBlock(IPBlock block, InetAddress address) {
    return inCidr(block.getCidr(), address)
        && nullToEmpty(block.getExcept()).stream().noneMatch(x -> inCidr(x, address));
  }

  /** Whether an address is in a CIDR; an IPv4 address is never in an IPv6 CIDR and vice versa. */
  static boolean inCidr(String cidr, InetAddress address) {
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("not a CIDR: " + cidr);
    }
    byte[] network = parse(cidr.substring(0, slash)).getAddress();
    int prefix = Integer.parseInt(cidr.substring(slash + 1));
    byte[] bytes = address.getAddress();
    if (network.length != bytes.length || prefix < 0 || prefix > bytes.length * 8) {
      return false;
    }
    for (int bit = 0; bit < prefix; bit++) {
      int mask = 0x80 >>> (bit % 8);
      if ((network[bit / 8] & mask) != (bytes[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  /** A literal IPv4 or IPv6 address (no name resolution). */
  static InetAddress parse(String literal) {
    if (!literal.matches("[0-9a-fA-F:.]+")) {
      throw new IllegalArgumentException("not an IP address literal: " + literal);
    }
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address: " + literal, e);
    }
  }

  private static <T> List<T> nullToEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
