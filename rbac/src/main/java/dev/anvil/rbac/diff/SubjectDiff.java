package dev.anvil.rbac.diff;

import dev.anvil.rbac.Action;
import java.util.Objects;

/**
 * What a policy change does to one subject for one action.
 *
 * @param subject who
 * @param action what they do
 * @param exposed documents the proposed set permits and the set in force does not
 * @param hidden documents the set in force permits and the proposed set does not
 */
public record SubjectDiff(DiffSubject subject, Action action, Breakdown exposed, Breakdown hidden) {
  public SubjectDiff {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(exposed, "exposed");
    Objects.requireNonNull(hidden, "hidden");
  }

  /** Whether the change does nothing to this subject and action. */
  public boolean isEmpty() {
    return exposed.isEmpty() && hidden.isEmpty();
  }
}
