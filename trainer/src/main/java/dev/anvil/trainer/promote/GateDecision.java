package dev.anvil.trainer.promote;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;

/**
 * What the gate decided about one candidate, with every number it decided on and the rules in
 * force, as audited.
 *
 * @param id stable for the same candidate, serving model, rules and numbers
 * @param candidateLineage the candidate's lineage (from its model card)
 * @param expert nDCG@10 of both models on the experts' evaluation set, when the rules have one
 */
public record GateDecision(
    String id,
    Instant at,
    String candidate,
    String serving,
    GateRules rules,
    Score evaluation,
    Score regression,
    SortedMap<String, Object> candidateLineage,
    Verdict verdict,
    Optional<Score> expert) {

  /** A decision without an expert evaluation. */
  public GateDecision(
      String id,
      Instant at,
      String candidate,
      String serving,
      GateRules rules,
      Score evaluation,
      Score regression,
      SortedMap<String, Object> candidateLineage,
      Verdict verdict) {
    this(
        id,
        at,
        candidate,
        serving,
        rules,
        evaluation,
        regression,
        candidateLineage,
        verdict,
        Optional.empty());
  }

  /**
   * The metric of both models on one set; {@code delta} is candidate minus serving.
   *
   * @param set {@code evaluation}, {@code regression} or {@code expert}
   * @param split the qrels split of that set that decided (a dev split; never test)
   */
  public record Score(String set, String split, String metric, double candidate, double serving) {
    public double delta() {
      return candidate - serving;
    }
  }

  /** Promote or refuse. */
  public sealed interface Verdict permits Promote, Refuse {}

  /** Every rule passed: the candidate may replace the serving model. */
  public record Promote() implements Verdict {}

  /** At least one rule failed; each reason names the rule and its numbers. */
  public record Refuse(List<String> reasons) implements Verdict {
    public Refuse {
      reasons = List.copyOf(reasons);
    }
  }

  public boolean promoted() {
    return verdict instanceof Promote;
  }
}
