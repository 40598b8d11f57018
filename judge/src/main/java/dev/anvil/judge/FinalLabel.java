package dev.anvil.judge;

import java.util.List;
import java.util.Map;

/**
 * An item's final label: what its annotators agreed on, or what an adjudicator decided. Only these
 * feed data sets.
 *
 * @param itemId the item
 * @param taskId its task
 * @param query the query
 * @param documentId the document
 * @param chunk the chunk number
 * @param textSha256 the chunk text judged
 * @param label 0 to 3
 * @param basis agreed or adjudicated
 * @param annotators the subjects whose submitted labels it rests on (and the adjudicator's last)
 * @param tags the chunk's tags, for the data set's lineage
 */
public record FinalLabel(
    String itemId,
    String taskId,
    String query,
    String documentId,
    int chunk,
    String textSha256,
    int label,
    Basis basis,
    List<String> annotators,
    Map<String, Object> tags) {
  public FinalLabel {
    annotators = List.copyOf(annotators);
    tags = Map.copyOf(tags);
  }

  /** Why a label is final. */
  public enum Basis {
    /** Every one of the task's annotators gave it. */
    AGREED,
    /** An adjudicator decided it. */
    ADJUDICATED
  }
}
