package dev.anvil.identity;

import dev.anvil.identity.InvalidTokenException.Reason;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.schema.PrincipalAttribute;
import dev.anvil.rbac.schema.TagSchema;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * How a verified token's claims become a {@link Principal}. Claim paths are dotted ({@code
 * realm_access.roles} reads {@code {"realm_access": {"roles": [...]}}}).
 *
 * <p>{@link #keycloak()} fits Keycloak's access tokens; another provider configures the paths (for
 * example {@code roleClaims = [roles]} for a flat {@code roles} claim).
 *
 * @param subjectClaim the stable user id (required in every token)
 * @param usernameClaim a human-readable name, falling back to the subject
 * @param roleClaims paths to lists of role names, all merged
 * @param clientRoles client ids whose {@code resource_access.<client>.roles} are added as roles
 * @param clientRolePrefix prefix for client roles; {@code {client}} is replaced by the client id
 *     (e.g. {@code "{client}:"} gives {@code anvil-context-engine:reader}); empty for none
 * @param groupsClaim path to the list of groups
 * @param stripGroupSlash whether a leading '/' of Keycloak group paths is removed ({@code
 *     /engineering} becomes {@code engineering}; {@code /engineering/ml} becomes {@code
 *     engineering/ml})
 * @param attributesClaim path to an object whose entries all become attributes, or empty
 * @param attributeClaims attribute name to claim path, for providers with top-level claims
 * @param agentClaim the client acting for the user ({@code azp})
 */
public record ClaimMapping(
    String subjectClaim,
    String usernameClaim,
    List<String> roleClaims,
    List<String> clientRoles,
    String clientRolePrefix,
    String groupsClaim,
    boolean stripGroupSlash,
    String attributesClaim,
    Map<String, String> attributeClaims,
    String agentClaim) {

  public ClaimMapping {
    Objects.requireNonNull(subjectClaim, "subjectClaim");
    Objects.requireNonNull(usernameClaim, "usernameClaim");
    roleClaims = List.copyOf(roleClaims);
    clientRoles = List.copyOf(clientRoles);
    Objects.requireNonNull(clientRolePrefix, "clientRolePrefix");
    Objects.requireNonNull(groupsClaim, "groupsClaim");
    Objects.requireNonNull(attributesClaim, "attributesClaim");
    attributeClaims = Map.copyOf(attributeClaims);
    Objects.requireNonNull(agentClaim, "agentClaim");
  }

  /**
   * Keycloak's shapes: {@code sub}, {@code preferred_username}, realm roles in {@code
   * realm_access.roles}, group paths in {@code groups} (needs a group-membership mapper), user
   * attributes under {@code attributes} (user-attribute mappers with claim names such as {@code
   * attributes.clearance}), and {@code azp}.
   */
  public static ClaimMapping keycloak() {
    return new ClaimMapping(
        "sub",
        "preferred_username",
        List.of("realm_access.roles"),
        List.of(),
        "",
        "groups",
        true,
        "attributes",
        Map.of(),
        "azp");
  }

  /** This mapping with the roles of these clients ({@code resource_access}) added, prefixed. */
  public ClaimMapping withClientRoles(List<String> clients, String prefix) {
    return new ClaimMapping(
        subjectClaim,
        usernameClaim,
        roleClaims,
        clients,
        prefix,
        groupsClaim,
        stripGroupSlash,
        attributesClaim,
        attributeClaims,
        agentClaim);
  }

  /** This mapping reading attributes from top-level claims too (attribute name to claim path). */
  public ClaimMapping withAttributeClaims(Map<String, String> claims) {
    return new ClaimMapping(
        subjectClaim,
        usernameClaim,
        roleClaims,
        clientRoles,
        clientRolePrefix,
        groupsClaim,
        stripGroupSlash,
        attributesClaim,
        claims,
        agentClaim);
  }

  /**
   * Maps verified claims. With the {@code schema} in force, attributes it does not declare are
   * dropped (no policy can read them) and a declared single-valued one with several values refuses
   * the token; without one, every attribute is single-valued.
   */
  Principal principal(Map<String, Object> claims, Optional<TagSchema> schema) {
    String subject =
        text(claims, subjectClaim)
            .orElseThrow(
                () ->
                    new InvalidTokenException(
                        Reason.BAD_CLAIM,
                        "claim '" + subjectClaim + "': expected a user id, was absent"));
    Set<String> roles = new LinkedHashSet<>();
    for (String path : roleClaims) {
      roles.addAll(strings(claims, path));
    }
    for (String client : clientRoles) {
      String prefix = clientRolePrefix.replace("{client}", client);
      for (String role : strings(claims, "resource_access." + client + ".roles")) {
        roles.add(prefix + role);
      }
    }
    Set<String> groups = new LinkedHashSet<>();
    for (String g : strings(claims, groupsClaim)) {
      groups.add(stripGroupSlash && g.startsWith("/") ? g.substring(1) : g);
    }
    Map<String, List<String>> attributes = new TreeMap<>();
    if (!attributesClaim.isEmpty() && at(claims, attributesClaim) instanceof Map<?, ?> m) {
      m.forEach(
          (k, v) ->
              attribute(schema, k.toString(), attributesClaim + "." + k, v)
                  .ifPresent(values -> attributes.put(k.toString(), values)));
    }
    attributeClaims.forEach(
        (name, path) ->
            attribute(schema, name, path, at(claims, path))
                .ifPresent(values -> attributes.put(name, values)));
    return new Principal(subject, roles, groups, attributes);
  }

  /**
   * The values of attribute {@code name} from {@code claim}: text, numbers and booleans as text, a
   * list of them as several values. Empty when the schema does not declare it.
   *
   * @throws InvalidTokenException ({@link Reason#BAD_CLAIM}) for several values of a single-valued
   *     attribute: picking one would make decisions depend on the order the identity provider
   *     returns them in
   */
  private static Optional<List<String>> attribute(
      Optional<TagSchema> schema, String name, String claim, Object v) {
    Optional<PrincipalAttribute> declared =
        schema.isPresent()
            ? schema.get().principalAttribute(name)
            : Optional.of(PrincipalAttribute.single(name));
    if (declared.isEmpty()) {
      return Optional.empty();
    }
    List<String> values = new ArrayList<>();
    for (Object item : v instanceof Collection<?> c ? c : java.util.Collections.singletonList(v)) {
      switch (item) {
        case String s when !s.isBlank() -> values.add(s);
        case Number n -> values.add(n.toString());
        case Boolean b -> values.add(b.toString());
        case null, default -> {}
      }
    }
    if (!declared.get().multiValued() && new java.util.HashSet<>(values).size() > 1) {
      throw new InvalidTokenException(
          Reason.BAD_CLAIM,
          "claim '"
              + claim
              + "': expected a single value, was "
              + values.size()
              + " values; attribute '"
              + name
              + "' is single-valued"
              + (schema.isPresent() ? " (schema principal_attributes)" : ""));
    }
    return Optional.of(values);
  }

  String username(Map<String, Object> claims) {
    return text(claims, usernameClaim).or(() -> text(claims, subjectClaim)).orElse("");
  }

  Optional<String> agent(Map<String, Object> claims) {
    return text(claims, agentClaim);
  }

  private static Object at(Map<String, Object> claims, String path) {
    Object current = claims;
    for (String part : path.split("\\.")) {
      if (!(current instanceof Map<?, ?> m)) {
        return null;
      }
      current = m.get(part);
    }
    return current;
  }

  private static Optional<String> text(Map<String, Object> claims, String path) {
    return at(claims, path) instanceof String s && !s.isBlank() ? Optional.of(s) : Optional.empty();
  }

  private static List<String> strings(Map<String, Object> claims, String path) {
    Object v = at(claims, path);
    if (v instanceof String s) {
      return List.of(s);
    }
    List<String> out = new ArrayList<>();
    if (v instanceof Collection<?> c) {
      for (Object o : c) {
        if (o instanceof String s) {
          out.add(s);
        }
      }
    }
    return out;
  }
}
