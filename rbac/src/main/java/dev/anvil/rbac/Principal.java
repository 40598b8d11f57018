package dev.anvil.rbac;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A verified identity as policies see it: {@code principal.subject}, {@code principal.roles},
 * {@code principal.groups} and {@code principal.attributes} in CEL.
 *
 * <p>Collections are copied into sorted, unmodifiable ones so that two principals with the same
 * content are equal and hash alike (compiled filters are cached per principal) and so that
 * everything derived from a principal is deterministic.
 *
 * <p>Attributes are lists, as identity providers send them; the schema says which are single-valued
 * (text in CEL; several values make every condition reading it an error, and a token carrying them
 * is refused) and which are multi-valued (a list in CEL). An attribute without values is absent.
 *
 * @param subject the stable user id (the token's {@code sub}), never blank
 * @param roles role names
 * @param groups group names
 * @param attributes attribute name to its values, such as {@code clearance: [confidential]}
 */
public record Principal(
    String subject, Set<String> roles, Set<String> groups, Map<String, List<String>> attributes) {

  public Principal {
    Objects.requireNonNull(subject, "subject");
    if (subject.isBlank()) {
      throw new IllegalArgumentException("principal subject must not be blank");
    }
    roles = sorted(roles, "roles");
    groups = sorted(groups, "groups");
    SortedMap<String, List<String>> attrs = new TreeMap<>();
    Objects.requireNonNull(attributes, "attributes")
        .forEach(
            (k, v) -> {
              List<String> values =
                  List.copyOf(sorted(Set.copyOf(Objects.requireNonNull(v, k)), "attribute " + k));
              if (!values.isEmpty()) {
                attrs.put(Objects.requireNonNull(k, "attribute name"), values);
              }
            });
    attributes = Collections.unmodifiableSortedMap(attrs);
  }

  /** A principal with only a subject. */
  public static Principal of(String subject) {
    return new Principal(subject, Set.of(), Set.of(), Map.of());
  }

  /** Attributes of one value each, as principals with single-valued attributes are written. */
  public static Map<String, List<String>> single(Map<String, String> attributes) {
    Map<String, List<String>> out = new TreeMap<>();
    attributes.forEach((k, v) -> out.put(k, List.of(v)));
    return out;
  }

  /** The one value of an attribute; empty if it has none or several. */
  public java.util.Optional<String> attribute(String name) {
    List<String> values = attributes.getOrDefault(name, List.of());
    return values.size() == 1
        ? java.util.Optional.of(values.getFirst())
        : java.util.Optional.empty();
  }

  private static SortedSet<String> sorted(Set<String> values, String what) {
    SortedSet<String> copy = new TreeSet<>();
    for (String v : Objects.requireNonNull(values, what)) {
      copy.add(Objects.requireNonNull(v, () -> "an entry of " + what));
    }
    return Collections.unmodifiableSortedSet(copy);
  }
}
