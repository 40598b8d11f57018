package dev.anvil.rbac.diff;

import dev.anvil.rbac.Action;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a proposed policy set would change, subject by subject and action by action, against the set
 * in force, over the documents of one index.
 *
 * @param inForceVersion the version of the set in force (the old pack)
 * @param proposedVersion the version of the proposed set (the new pack)
 * @param actions the actions compared
 * @param byTags the tags every breakdown counts by
 * @param samples the most ids each breakdown and bucket keeps
 * @param gate what trips the CI gate; empty if the schema has no ordered tag
 * @param subjects one entry per subject and action, subjects in {@link DiffSubjects} order
 */
public record DiffReport(
    String inForceVersion,
    String proposedVersion,
    List<Action> actions,
    List<String> byTags,
    int samples,
    Optional<Gate> gate,
    List<SubjectDiff> subjects) {
  public DiffReport {
    Objects.requireNonNull(inForceVersion, "inForceVersion");
    Objects.requireNonNull(proposedVersion, "proposedVersion");
    actions = List.copyOf(actions);
    byTags = List.copyOf(byTags);
    Objects.requireNonNull(gate, "gate");
    subjects = List.copyOf(subjects);
  }

  /** Whether the change exposes and hides nothing from anyone. */
  public boolean isEmpty() {
    return subjects.stream().allMatch(SubjectDiff::isEmpty);
  }

  /** The entries whose newly exposed documents trip the gate. */
  public List<SubjectDiff> gated() {
    return gate.map(g -> subjects.stream().filter(s -> g.count(s.exposed()) > 0).toList())
        .orElse(List.of());
  }

  /** Whether the change newly exposes documents at or above the gate's level to someone. */
  public boolean gateTripped() {
    return !gated().isEmpty();
  }
}
