package dev.anvil.rbac.diff;

import dev.anvil.rbac.Action;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a policy diff compares and how it counts.
 *
 * @param actions the actions compared, each decided on tags (default {@code read})
 * @param byTags the tags to count by; empty for the default: the schema's required tags with listed
 *     values ({@code classification} and {@code department} in the example pack)
 * @param samples how many document ids to keep per bucket, 0 to {@link #MAX_SAMPLES} (default 3)
 * @param gate {@code LEVEL} or {@code TAG=LEVEL} (see {@link Gate#parse}); empty for the top level
 *     of the schema's first ordered tag
 */
public record DiffOptions(
    List<Action> actions, List<String> byTags, int samples, Optional<String> gate) {
  /** Most sample ids per bucket. */
  public static final int MAX_SAMPLES = 100;

  /** Most tags to count by. */
  public static final int MAX_TAGS = 16;

  public DiffOptions {
    actions = List.copyOf(new LinkedHashSet<>(actions));
    byTags = List.copyOf(new LinkedHashSet<>(byTags));
    Objects.requireNonNull(gate, "gate");
    if (actions.isEmpty()) {
      throw new IllegalArgumentException("a diff needs at least one action");
    }
    for (Action a : actions) {
      if (!a.onTags()) {
        throw new IllegalArgumentException(
            "action " + a + " is not decided on documents, so no index can diff it");
      }
    }
    if (samples < 0 || samples > MAX_SAMPLES) {
      throw new IllegalArgumentException(
          "samples must be 0 to " + MAX_SAMPLES + ", was " + samples);
    }
    if (byTags.size() > MAX_TAGS) {
      throw new IllegalArgumentException(
          "at most " + MAX_TAGS + " tags to count by, was " + byTags.size());
    }
  }

  /** {@code read}, the schema's default tags, 3 samples, the default gate. */
  public static DiffOptions defaults() {
    return new DiffOptions(List.of(Action.READ), List.of(), 3, Optional.empty());
  }

  /** These options comparing {@code actions} instead. */
  public DiffOptions withActions(List<Action> actions) {
    return new DiffOptions(actions, byTags, samples, gate);
  }

  /** These options counting by {@code tags} instead (empty: the default). */
  public DiffOptions withTags(List<String> tags) {
    return new DiffOptions(actions, tags, samples, gate);
  }

  /** These options keeping {@code samples} ids per bucket instead. */
  public DiffOptions withSamples(int samples) {
    return new DiffOptions(actions, byTags, samples, gate);
  }

  /** These options gating at {@code gate} ({@code LEVEL} or {@code TAG=LEVEL}) instead. */
  public DiffOptions withGate(String gate) {
    return new DiffOptions(actions, byTags, samples, Optional.of(gate));
  }
}
