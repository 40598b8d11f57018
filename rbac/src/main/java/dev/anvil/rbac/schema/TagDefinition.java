package dev.anvil.rbac.schema;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One tag of the schema.
 *
 * @param name the tag name; a lower-case identifier so that policies can write {@code doc.name}
 * @param type the tag's type
 * @param values allowed values (in order, lowest first, for {@link TagType#ORDERED}); empty for
 *     {@link TagType#STRING} and {@link TagType#PRINCIPAL}
 * @param required whether every document must carry the tag
 * @param description free text for admins
 * @param namespace whether the tag is the schema's namespace: its value (the document's source)
 *     prefixes the document's id ({@code <value>/...}), so that two sources never share an id
 */
public record TagDefinition(
    String name,
    TagType type,
    List<String> values,
    boolean required,
    String description,
    boolean namespace) {

  /** Tag names must be CEL identifiers and safe as index field suffixes. */
  public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

  public TagDefinition {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(description, "description");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "tag name must match " + NAME.pattern() + ", was '" + name + "'");
    }
    values = List.copyOf(values);
    if (type.hasValues() && values.isEmpty()) {
      throw new IllegalArgumentException(
          "tag '" + name + "' of type " + type.id() + " needs values");
    }
    if (!type.hasValues() && !values.isEmpty()) {
      throw new IllegalArgumentException(
          "tag '" + name + "' of type " + type.id() + " takes no values, was " + values);
    }
    if (new HashSet<>(values).size() != values.size()) {
      throw new IllegalArgumentException("tag '" + name + "' lists a value twice: " + values);
    }
    for (String v : values) {
      if (v.isBlank()) {
        throw new IllegalArgumentException("tag '" + name + "' has a blank value");
      }
    }
    if (namespace && type != TagType.ENUM) {
      throw new IllegalArgumentException(
          "tag '" + name + "' is a namespace, so its type must be enum, was " + type.id());
    }
  }

  /** A tag that is not the namespace. */
  public TagDefinition(
      String name, TagType type, List<String> values, boolean required, String description) {
    this(name, type, values, required, description, false);
  }

  /** The rank of a level of an ordered tag (0 = lowest), or -1 if it is not one of its levels. */
  public int rank(String level) {
    return type == TagType.ORDERED ? values.indexOf(level) : -1;
  }

  /** Whether {@code value} is allowed by this tag (always true for free-text tags). */
  public boolean allows(String value) {
    return type.hasValues() ? values.contains(value) : !value.isBlank();
  }

  /** Whether documents hold a single value of this tag (every type but {@link TagType#SET}). */
  public boolean isScalar() {
    return type != TagType.SET;
  }
}
