package dev.anvil.rbac.schema;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** The kinds of tag a schema can declare. */
public enum TagType {
  /** One of an ordered list of levels, e.g. classification: public &lt; internal &lt; ... */
  ORDERED(true),
  /** One of a fixed set of values. */
  ENUM(true),
  /** Several of a fixed set of values, e.g. department. Absent means the empty set. */
  SET(true),
  /** Any non-blank text. */
  STRING(false),
  /** A user id (a principal's subject), e.g. owner. */
  PRINCIPAL(false);

  private final boolean hasValues;

  TagType(boolean hasValues) {
    this.hasValues = hasValues;
  }

  /** Whether the schema lists the allowed values for this type. */
  public boolean hasValues() {
    return hasValues;
  }

  /** The name used in schema files. */
  public String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses a schema-file name; empty if there is no such type. */
  public static Optional<TagType> fromId(String id) {
    return Arrays.stream(values()).filter(t -> t.id().equals(id)).findFirst();
  }

  /** Every type's id, comma-separated, for error messages. */
  public static String allIds() {
    return Arrays.stream(values()).map(TagType::id).collect(Collectors.joining(", "));
  }
}
