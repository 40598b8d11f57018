package dev.anvil.rbac.diff;

import dev.anvil.rbac.Principal;
import java.util.List;
import java.util.Objects;

/**
 * Someone a policy diff is computed for.
 *
 * @param name how reports name it: a principal's name in principals.yaml, or a combination such as
 *     {@code roles=[employee] groups=[engineering]}
 * @param kind a named principal or a role/group combination
 * @param principal who the policies are evaluated for
 * @param principals the names in principals.yaml it stands for (one for a named principal; every
 *     principal holding the combination for a combination)
 */
public record DiffSubject(String name, Kind kind, Principal principal, List<String> principals) {

  /** What a subject stands for. */
  public enum Kind {
    /** A principal of principals.yaml, as defined there (its subject owns its documents). */
    PRINCIPAL,
    /**
     * Any other user with the same roles, groups and attributes: a subject that owns no document,
     * so the report shows what the change does beyond ownership.
     */
    COMBINATION
  }

  public DiffSubject {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(principal, "principal");
    principals = List.copyOf(principals);
    if (name.isBlank()) {
      throw new IllegalArgumentException("a diff subject needs a name");
    }
  }

  /**
   * Names the subject and whom it stands for (a combination's subject is long and says nothing).
   */
  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name + " " + principals;
  }
}
