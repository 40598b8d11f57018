package dev.anvil.rbac;

import java.util.Collections;
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
 * @param subject the stable user id (the token's {@code sub}), never blank
 * @param roles role names
 * @param groups group names
 * @param attributes single-valued attributes such as {@code clearance}
 */
public record Principal(
    String subject, Set<String> roles, Set<String> groups, Map<String, String> attributes) {

  public Principal {
    Objects.requireNonNull(subject, "subject");
    if (subject.isBlank()) {
      throw new IllegalArgumentException("principal subject must not be blank");
    }
    roles = sorted(roles, "roles");
    groups = sorted(groups, "groups");
    SortedMap<String, String> attrs = new TreeMap<>();
    Objects.requireNonNull(attributes, "attributes")
        .forEach(
            (k, v) ->
                attrs.put(
                    Objects.requireNonNull(k, "attribute name"),
                    Objects.requireNonNull(v, () -> "value of attribute " + k)));
    attributes = Collections.unmodifiableSortedMap(attrs);
  }

  /** A principal with only a subject. */
  public static Principal of(String subject) {
    return new Principal(subject, Set.of(), Set.of(), Map.of());
  }

  private static SortedSet<String> sorted(Set<String> values, String what) {
    SortedSet<String> copy = new TreeSet<>();
    for (String v : Objects.requireNonNull(values, what)) {
      copy.add(Objects.requireNonNull(v, () -> "an entry of " + what));
    }
    return Collections.unmodifiableSortedSet(copy);
  }
}
