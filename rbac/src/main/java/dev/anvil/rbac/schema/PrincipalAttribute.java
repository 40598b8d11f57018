package dev.anvil.rbac.schema;

import java.util.Objects;

/**
 * A principal attribute that policies may read ({@code principal.attributes.NAME}), as the schema
 * declares it under {@code principal_attributes}. Identity providers send attributes as lists; a
 * single-valued one is text in CEL and a token with several values for it is refused, a
 * multi-valued one is a {@code list(string)}, so no decision depends on the order of the values.
 *
 * @param name the attribute's name, as in tokens and {@code principals.yaml}
 * @param multiValued whether it holds a list
 * @param description what it means, for people
 */
public record PrincipalAttribute(String name, boolean multiValued, String description) {
  public PrincipalAttribute {
    Objects.requireNonNull(name, "name");
    if (!TagDefinition.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "attribute name must match " + TagDefinition.NAME.pattern() + ", was '" + name + "'");
    }
    Objects.requireNonNull(description, "description");
  }

  /** A single-valued attribute without a description. */
  public static PrincipalAttribute single(String name) {
    return new PrincipalAttribute(name, false, "");
  }

  /** A multi-valued attribute without a description. */
  public static PrincipalAttribute multi(String name) {
    return new PrincipalAttribute(name, true, "");
  }
}
