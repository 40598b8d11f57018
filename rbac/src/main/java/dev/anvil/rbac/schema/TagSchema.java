package dev.anvil.rbac.schema;

import dev.anvil.rbac.input.PolicyLoadException;
import dev.anvil.rbac.input.Problem;
import dev.anvil.rbac.input.YamlNode;
import dev.anvil.rbac.schema.InvalidTagsException.TagProblem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The tags every document must carry, and the principal attributes policies may read, as declared
 * by security admins in a YAML file:
 *
 * <pre>{@code
 * tags:
 *   classification:
 *     type: ordered            # ordered | enum | set | string | principal
 *     values: [public, internal, confidential, restricted]   # lowest first
 *     required: true
 *   department: {type: set, values: [engineering, hr], required: true}
 *   owner: {type: principal}
 * principal_attributes:
 *   clearance: {}                       # single-valued: text in CEL
 *   projects: {multi_valued: true}      # a list in CEL
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class TagSchema {
  private static final Set<String> TAG_FIELDS =
      Set.of("type", "values", "required", "description", "namespace");
  private static final Set<String> ATTRIBUTE_FIELDS = Set.of("multi_valued", "description");

  private final Map<String, TagDefinition> tags;
  private final Map<String, PrincipalAttribute> attributes;

  /** A schema of the given tags, in declaration order, and no principal attributes. */
  public TagSchema(List<TagDefinition> tags) {
    this(tags, List.of());
  }

  /** A schema of the given tags and principal attributes, in declaration order. */
  public TagSchema(List<TagDefinition> tags, List<PrincipalAttribute> attributes) {
    Map<String, PrincipalAttribute> attrs = new LinkedHashMap<>();
    for (PrincipalAttribute a : attributes) {
      if (attrs.putIfAbsent(a.name(), a) != null) {
        throw new IllegalArgumentException("principal attribute '" + a.name() + "' declared twice");
      }
    }
    this.attributes = java.util.Collections.unmodifiableMap(attrs);
    Map<String, TagDefinition> byName = new LinkedHashMap<>();
    for (TagDefinition t : tags) {
      if (byName.putIfAbsent(t.name(), t) != null) {
        throw new IllegalArgumentException("tag '" + t.name() + "' declared twice");
      }
    }
    if (byName.isEmpty()) {
      throw new IllegalArgumentException("a tag schema needs at least one tag");
    }
    this.tags = java.util.Collections.unmodifiableMap(byName);
  }

  /** Reads a schema file; errors name the file, line and column. */
  public static TagSchema load(Path file) {
    try {
      return parse(file.toString(), Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read tag schema " + file, e);
    }
  }

  /** Parses schema YAML; {@code file} is the name used in error locations. */
  public static TagSchema parse(String file, String yaml) {
    YamlNode root = YamlNode.parse(file, yaml);
    root.allowOnly(Set.of("tags", "principal_attributes"));
    List<Problem> problems = new ArrayList<>();
    List<TagDefinition> defs = new ArrayList<>();
    for (Map.Entry<String, YamlNode> e : root.required("tags").asMap().entrySet()) {
      try {
        defs.add(parseTag(e.getKey(), e.getValue(), root));
      } catch (PolicyLoadException ex) {
        problems.addAll(ex.problems());
      }
    }
    if (defs.isEmpty() && problems.isEmpty()) {
      problems.add(root.required("tags").problem("a tag schema needs at least one tag"));
    }
    List<String> namespaces =
        defs.stream().filter(TagDefinition::namespace).map(d -> d.name()).toList();
    if (namespaces.size() > 1) {
      problems.add(
          root.required("tags")
              .problem("at most one tag may be the namespace, found " + namespaces));
    }
    List<PrincipalAttribute> attributes = new ArrayList<>();
    Optional<YamlNode> attrsNode = root.get("principal_attributes");
    if (attrsNode.isPresent()) {
      for (Map.Entry<String, YamlNode> e : attrsNode.get().asMap().entrySet()) {
        try {
          attributes.add(parseAttribute(e.getKey(), e.getValue(), attrsNode.get()));
        } catch (PolicyLoadException ex) {
          problems.addAll(ex.problems());
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyLoadException(problems);
    }
    return new TagSchema(defs, attributes);
  }

  private static PrincipalAttribute parseAttribute(String name, YamlNode node, YamlNode parent) {
    if (!TagDefinition.NAME.matcher(name).matches()) {
      throw new PolicyLoadException(
          List.of(
              new Problem(
                  parent.keyLocation(name).orElse(node.location()),
                  "attribute name '"
                      + name
                      + "' must be lower-case letters, digits and '_', starting with a letter")));
    }
    node.allowOnly(ATTRIBUTE_FIELDS);
    return new PrincipalAttribute(
        name,
        node.get("multi_valued").map(YamlNode::asBoolean).orElse(false),
        node.get("description").map(YamlNode::asString).orElse(""));
  }

  private static TagDefinition parseTag(String name, YamlNode node, YamlNode root) {
    if (!TagDefinition.NAME.matcher(name).matches()) {
      throw new PolicyLoadException(
          List.of(
              new Problem(
                  root.required("tags").keyLocation(name).orElse(node.location()),
                  "tag name '"
                      + name
                      + "' must be lower-case letters, digits and '_', starting with a letter")));
    }
    node.allowOnly(TAG_FIELDS);
    YamlNode typeNode = node.required("type");
    TagType type =
        TagType.fromId(typeNode.asString())
            .orElseThrow(
                () ->
                    typeNode.error(
                        "unknown tag type '"
                            + typeNode.asString()
                            + "' (expected one of: "
                            + TagType.allIds()
                            + ")"));
    List<String> values = List.of();
    Optional<YamlNode> valuesNode = node.get("values");
    if (type.hasValues()) {
      YamlNode v =
          valuesNode.orElseThrow(
              () -> node.error("tag '" + name + "' of type " + type.id() + " needs 'values'"));
      values = v.asStringList();
      if (values.isEmpty()) {
        throw v.error("tag '" + name + "' needs at least one value");
      }
      if (new TreeSet<>(values).size() != values.size()) {
        throw v.error("tag '" + name + "' lists a value twice: " + values);
      }
    } else if (valuesNode.isPresent()) {
      throw valuesNode
          .get()
          .error("tag '" + name + "' of type " + type.id() + " takes no 'values'");
    }
    boolean required = node.get("required").map(YamlNode::asBoolean).orElse(false);
    String description = node.get("description").map(YamlNode::asString).orElse("");
    Optional<YamlNode> namespaceNode = node.get("namespace");
    boolean namespace = namespaceNode.map(YamlNode::asBoolean).orElse(false);
    if (namespace && type != TagType.ENUM) {
      throw namespaceNode
          .get()
          .error(
              "tag '"
                  + name
                  + "' is a namespace: its values prefix document ids, so it must be an enum");
    }
    return new TagDefinition(name, type, values, required, description, namespace);
  }

  /**
   * Reads a YAML file of raw document tags ({@code classification: internal}, {@code department:
   * [hr]}), to be validated with {@link #validate}; errors name file, line and column.
   */
  public static Map<String, Object> readRawTags(dev.anvil.rbac.input.PolicySource file) {
    return YamlNode.parse(file.name(), file.content()).asRawTags();
  }

  /** The declared tags, in declaration order. */
  public Collection<TagDefinition> tags() {
    return tags.values();
  }

  /** The principal attributes policies may read, in declaration order. */
  public Collection<PrincipalAttribute> principalAttributes() {
    return attributes.values();
  }

  /** A declared principal attribute by name. */
  public Optional<PrincipalAttribute> principalAttribute(String name) {
    return Optional.ofNullable(attributes.get(name));
  }

  /** The namespace tag (a document's source, which prefixes its id), if the schema declares one. */
  public Optional<TagDefinition> namespace() {
    return tags.values().stream().filter(TagDefinition::namespace).findFirst();
  }

  /**
   * What is wrong with {@code id} for a document with these (valid) tags, if anything: under a
   * namespace tag, a document of source {@code s} must have an id starting with {@code s/}, and a
   * document without a source an id that starts with no source's prefix. So two sources never share
   * an id, and a writer of one source can never address a document of another.
   */
  public Optional<String> idProblem(String id, DocTags tags) {
    Optional<TagDefinition> ns = namespace();
    if (ns.isEmpty()) {
      return Optional.empty();
    }
    String tag = ns.get().name();
    Optional<TagValue> source = tags.get(tag);
    if (source.isPresent()) {
      String prefix = ((TagValue.Single) source.get()).value() + "/";
      return id.startsWith(prefix) && id.length() > prefix.length()
          ? Optional.empty()
          : Optional.of(
              "a document of "
                  + tag
                  + " '"
                  + ((TagValue.Single) source.get()).value()
                  + "' needs an id starting with '"
                  + prefix
                  + "'");
    }
    for (String v : ns.get().values()) {
      if (id.startsWith(v + "/")) {
        return Optional.of(
            "ids starting with '"
                + v
                + "/' belong to "
                + tag
                + " '"
                + v
                + "': tag the document so");
      }
    }
    return Optional.empty();
  }

  /** A tag by name. */
  public Optional<TagDefinition> tag(String name) {
    return Optional.ofNullable(tags.get(name));
  }

  /**
   * Validates raw tags (from a document, a Kafka record, a command line) against the schema.
   *
   * <p>Values may be strings, or collections of strings for set tags (a single string is a set of
   * one). Every problem is reported, not only the first.
   *
   * @throws InvalidTagsException if a required tag is missing, a tag is unknown, or a value has the
   *     wrong shape or is not allowed
   */
  public DocTags validate(Map<String, ?> raw) {
    List<TagProblem> problems = new ArrayList<>();
    TreeMap<String, TagValue> out = new TreeMap<>();
    for (String name : new TreeSet<>(raw.keySet())) {
      if (!tags.containsKey(name)) {
        problems.add(
            new TagProblem(name, "unknown tag (the schema declares: " + tags.keySet() + ")"));
      }
    }
    for (TagDefinition def : tags.values()) {
      Object value = raw.get(def.name());
      if (value == null) {
        if (def.required()) {
          problems.add(new TagProblem(def.name(), "required tag is missing" + expected(def)));
        }
        continue;
      }
      int before = problems.size();
      Optional<TagValue> checked = checkValue(def, value, problems);
      if (checked.isPresent()) {
        out.put(def.name(), checked.get());
      } else if (def.required() && problems.size() == before) {
        problems.add(new TagProblem(def.name(), "required set tag is empty" + expected(def)));
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidTagsException(problems);
    }
    return new DocTags(out);
  }

  /**
   * Longest value of a free-text tag: a label, not a document (each value is one term of the index,
   * and Lucene refuses a term past 32,766 bytes).
   */
  public static final int MAX_VALUE_LENGTH = 256;

  private static Optional<TagValue> checkValue(
      TagDefinition def, Object value, List<TagProblem> problems) {
    if (def.type() == TagType.SET) {
      List<Object> items = value instanceof Collection<?> c ? new ArrayList<>(c) : List.of(value);
      SortedSet<String> members = new TreeSet<>();
      for (Object item : items) {
        if (!(item instanceof String s) || !def.allows(s)) {
          problems.add(new TagProblem(def.name(), "'" + item + "' is not allowed" + expected(def)));
          return Optional.empty();
        }
        members.add(s);
      }
      return members.isEmpty() ? Optional.empty() : Optional.of(new TagValue.Members(members));
    }
    if (!(value instanceof String s)) {
      problems.add(
          new TagProblem(def.name(), "expected a single value, was " + value + expected(def)));
      return Optional.empty();
    }
    if (s.length() > MAX_VALUE_LENGTH) {
      problems.add(
          new TagProblem(
              def.name(),
              "expected at most " + MAX_VALUE_LENGTH + " characters, was " + s.length()));
      return Optional.empty();
    }
    if (!def.allows(s)) {
      problems.add(new TagProblem(def.name(), "'" + s + "' is not allowed" + expected(def)));
      return Optional.empty();
    }
    return Optional.of(
        def.type() == TagType.ORDERED
            ? new TagValue.Level(s, def.rank(s))
            : new TagValue.Single(s));
  }

  private static String expected(TagDefinition def) {
    return switch (def.type()) {
      case ORDERED -> " (expected one of, lowest first: " + def.values() + ")";
      case ENUM -> " (expected one of: " + def.values() + ")";
      case SET -> " (expected a list of: " + def.values() + ")";
      case STRING -> " (expected non-empty text)";
      case PRINCIPAL -> " (expected a user id)";
    };
  }
}
