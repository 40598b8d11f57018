package dev.anvil.rbac;

import dev.anvil.rbac.input.Location;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One policy as written by an admin.
 *
 * @param id unique id within the policy set; named by every decision it makes
 * @param effect allow or deny
 * @param actions the actions it governs
 * @param description free text
 * @param condition the CEL {@code when} condition, as written
 * @param location where the policy starts in its file
 */
public record Policy(
    String id,
    Effect effect,
    Set<Action> actions,
    String description,
    String condition,
    Location location) {

  /** Policy ids: lower-case words joined by '-', so they read well in audit logs. */
  public static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9._-]*");

  public Policy {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(effect, "effect");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(condition, "condition");
    Objects.requireNonNull(location, "location");
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "policy id must match " + ID.pattern() + ", was '" + id + "'");
    }
    if (actions.isEmpty()) {
      throw new IllegalArgumentException("policy '" + id + "' governs no action");
    }
    actions = Collections.unmodifiableSet(EnumSet.copyOf(actions));
  }
}
