package dev.anvil.rbac;

import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.input.YamlNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Named principals from a pack's {@code principals.yaml}: development identities for policy tests,
 * {@code anvil policy explain --as NAME} and the development token issuer.
 *
 * <pre>{@code
 * alice:
 *   description: Backend engineer
 *   roles: [employee]
 *   groups: [engineering]
 *   attributes: {clearance: confidential, projects: [atlas, borealis]}
 * }</pre>
 *
 * <p>An attribute is one value or a list, as the schema declares it ({@link
 * #check(dev.anvil.rbac.schema.TagSchema)}).
 */
public final class PrincipalDirectory {
  private static final Set<String> FIELDS =
      Set.of("subject", "description", "roles", "groups", "attributes");

  private final Map<String, Principal> byName;
  private final Map<String, String> descriptions;

  private PrincipalDirectory(Map<String, Principal> byName, Map<String, String> descriptions) {
    this.byName = Collections.unmodifiableMap(byName);
    this.descriptions = Map.copyOf(descriptions);
  }

  /** An empty directory. */
  public static PrincipalDirectory empty() {
    return new PrincipalDirectory(Map.of(), Map.of());
  }

  /** Loads a principals file; a missing file is an empty directory. */
  public static PrincipalDirectory load(Path file) {
    if (!Files.isRegularFile(file)) {
      return empty();
    }
    return parse(PolicySource.read(file));
  }

  /**
   * Parses a principals file's text (as {@code principals.yaml} holds it); errors name the source,
   * line and column.
   */
  public static PrincipalDirectory parse(PolicySource src) {
    YamlNode root = YamlNode.parse(src.name(), src.content());
    Map<String, Principal> out = new LinkedHashMap<>();
    Map<String, String> descriptions = new LinkedHashMap<>();
    root.asMap()
        .forEach(
            (name, node) -> {
              out.put(name, parse(name, node));
              node.get("description").ifPresent(d -> descriptions.put(name, d.asString()));
            });
    return new PrincipalDirectory(out, descriptions);
  }

  /**
   * Reads a principal written inline (in a test or a file): {@code subject} (or the given default),
   * {@code roles}, {@code groups}, {@code attributes}.
   */
  public static Principal parse(String defaultSubject, YamlNode node) {
    node.allowOnly(FIELDS);
    String subject = node.get("subject").map(YamlNode::asNonBlankString).orElse(defaultSubject);
    if (subject == null) {
      throw node.error("missing required field 'subject'");
    }
    Map<String, java.util.List<String>> attributes = new TreeMap<>();
    node.get("attributes")
        .ifPresent(
            a ->
                a.asMap()
                    .forEach(
                        (k, v) ->
                            attributes.put(
                                k,
                                v.isList()
                                    ? v.asStringList()
                                    : java.util.List.of(v.asNonBlankString()))));
    return new Principal(
        subject,
        Set.copyOf(node.get("roles").map(YamlNode::asStringList).orElse(java.util.List.of())),
        Set.copyOf(node.get("groups").map(YamlNode::asStringList).orElse(java.util.List.of())),
        attributes);
  }

  /**
   * What is wrong with these principals under {@code schema}: several values for an attribute the
   * schema declares single-valued (such a principal is refused every decision reading it).
   */
  public java.util.List<String> check(dev.anvil.rbac.schema.TagSchema schema) {
    java.util.List<String> problems = new java.util.ArrayList<>();
    byName.forEach(
        (name, p) ->
            problems.addAll(
                singleValueProblems(schema, p).stream().map(m -> name + ": " + m).toList()));
    return problems;
  }

  /** Attributes the schema declares single-valued that {@code p} holds several values of. */
  public static java.util.List<String> singleValueProblems(
      dev.anvil.rbac.schema.TagSchema schema, Principal p) {
    java.util.List<String> problems = new java.util.ArrayList<>();
    p.attributes()
        .forEach(
            (name, values) ->
                schema
                    .principalAttribute(name)
                    .filter(a -> !a.multiValued() && values.size() > 1)
                    .ifPresent(
                        a ->
                            problems.add(
                                "attribute '"
                                    + name
                                    + "' is single-valued (schema principal_attributes), has "
                                    + values.size()
                                    + " values "
                                    + values)));
    return problems;
  }

  /** A principal by name. */
  public Optional<Principal> find(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** What the file says about a principal, e.g. "Backend engineer". */
  public Optional<String> description(String name) {
    return Optional.ofNullable(descriptions.get(name));
  }

  /** All names, in file order. */
  public Set<String> names() {
    return byName.keySet();
  }
}
