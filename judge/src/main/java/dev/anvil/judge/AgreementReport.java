package dev.anvil.judge;

import java.util.List;
import java.util.OptionalDouble;

/**
 * How far a task's annotators agree, from submitted labels only.
 *
 * @param taskId the task
 * @param overlap annotators per item
 * @param items items in the task
 * @param complete items with their {@code overlap} submitted labels
 * @param agreed complete items whose labels are all equal
 * @param disputed complete items whose labels differ and no adjudicator settled yet
 * @param adjudicated items an adjudicator settled
 * @param fleiss Fleiss' kappa over the complete items (empty if undefined, or overlap 1)
 * @param pairs Cohen's kappa of every pair of annotators over the items both labelled
 */
public record AgreementReport(
    String taskId,
    int overlap,
    int items,
    int complete,
    int agreed,
    int disputed,
    int adjudicated,
    OptionalDouble fleiss,
    List<Pair> pairs) {
  public AgreementReport {
    pairs = List.copyOf(pairs);
  }

  /**
   * Two annotators' agreement.
   *
   * @param a one subject
   * @param b the other (sorting after {@code a})
   * @param items items both labelled
   * @param cohen their kappa (empty if undefined)
   */
  public record Pair(String a, String b, int items, OptionalDouble cohen) {}
}
