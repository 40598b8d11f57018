package dev.anvil.eval.snapshot;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Where a snapshot's labels come from, as recorded when it was exported.
 *
 * @param task the judging task
 * @param taskModel the embedding model whose results were judged
 * @param store the store the judgments were read from (its JDBC URL without credentials)
 * @param exportedBy the subject that exported it: the snapshot holds only what it may read
 * @param createdAt when
 * @param policyVersion the policy set in force at export (what decided what it holds)
 * @param judgmentsCounted the submitted labels and adjudications behind its final labels
 * @param agreed final labels every annotator gave
 * @param adjudicated final labels an adjudicator decided
 * @param annotators the subjects of those labels, sorted
 * @param fleissKappa the task's Fleiss' kappa at export time (empty where undefined)
 * @param pairs each pair of annotators' Cohen's kappa at export time
 */
public record Provenance(
    String task,
    String taskModel,
    String store,
    String exportedBy,
    Instant createdAt,
    String policyVersion,
    int judgmentsCounted,
    int agreed,
    int adjudicated,
    List<String> annotators,
    OptionalDouble fleissKappa,
    List<PairKappa> pairs) {
  public Provenance {
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(taskModel, "taskModel");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(exportedBy, "exportedBy");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(policyVersion, "policyVersion");
    Objects.requireNonNull(fleissKappa, "fleissKappa");
    annotators = List.copyOf(annotators);
    pairs = List.copyOf(pairs);
  }

  /**
   * Two annotators' agreement when the snapshot was exported.
   *
   * @param cohen their Cohen's kappa, empty where undefined
   */
  public record PairKappa(String a, String b, int items, OptionalDouble cohen) {
    public PairKappa {
      Objects.requireNonNull(a, "a");
      Objects.requireNonNull(b, "b");
      Objects.requireNonNull(cohen, "cohen");
    }
  }
}
