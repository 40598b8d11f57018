package dev.anvil.judge;

import java.util.Objects;

/**
 * Feedback on one chunk a caller received for a query, outside any task: a graded label (0 to 3, an
 * {@link Source#EXPERT} judgment) or a thumbs up or down (a {@link Source#CLICK}). There is no
 * annotator field: who gives it is the verified caller.
 *
 * @param query the query the chunk answered (1 to {@link TaskSpec#MAX_QUERY_CHARS} characters)
 * @param documentId the chunk's document
 * @param chunk the chunk number, from 0
 * @param label 0 to 3 (a thumbs up is {@link #THUMBS_UP}, down {@link #THUMBS_DOWN})
 * @param rationale why, at most {@link Judgment#MAX_RATIONALE} characters, or empty
 */
public record Feedback(String query, String documentId, int chunk, int label, String rationale) {
  /** The label a thumbs up records: relevant. */
  public static final int THUMBS_UP = 2;

  /** The label a thumbs down records: irrelevant. */
  public static final int THUMBS_DOWN = 0;

  /** The longest document id accepted (the store's column). */
  public static final int MAX_DOCUMENT_ID = 512;

  public Feedback {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(documentId, "documentId");
    if (query.isBlank() || query.length() > TaskSpec.MAX_QUERY_CHARS) {
      throw new InvalidJudgmentException(
          "query",
          "expected 1 to " + TaskSpec.MAX_QUERY_CHARS + " characters, was " + query.length());
    }
    if (documentId.isBlank() || documentId.length() > MAX_DOCUMENT_ID) {
      throw new InvalidJudgmentException(
          "document_id",
          "expected 1 to " + MAX_DOCUMENT_ID + " characters, was " + documentId.length());
    }
    if (chunk < 0) {
      throw new InvalidJudgmentException("chunk", "expected 0 or more, was " + chunk);
    }
    LabelRequest.checkLabel(label);
    rationale = rationale == null ? "" : rationale;
    LabelRequest.checkRationale(rationale);
  }
}
