package dev.anvil.judge;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One annotator's label of one item. At most one per annotator and item: labelling again changes it
 * (until the item is final).
 *
 * @param id stable id
 * @param itemId the item
 * @param taskId its task
 * @param query the query
 * @param documentId the document
 * @param chunk the chunk number
 * @param documentVersion the document version judged
 * @param textSha256 SHA-256 (hex) of the chunk text judged
 * @param label 0 (irrelevant) to 3 (perfectly relevant)
 * @param annotator who, from the verified token
 * @param source expert, click or synthetic
 * @param status draft, submitted or discarded
 * @param rationale why, or empty
 * @param modelId the model that produced the result judged
 * @param resultPolicyVersion the policy set that decided the result judged
 * @param rank the result's rank, 1 first
 * @param tags the tags of the chunk judged (its classification among them): a data set of judgments
 *     inherits them, as a model inherits its data's
 * @param policyVersion the policy set that allowed this judgment
 * @param createdAt first saved
 * @param updatedAt last changed
 */
public record Judgment(
    String id,
    String itemId,
    String taskId,
    String query,
    String documentId,
    int chunk,
    long documentVersion,
    String textSha256,
    int label,
    Annotator annotator,
    Source source,
    Status status,
    String rationale,
    String modelId,
    String resultPolicyVersion,
    int rank,
    Map<String, Object> tags,
    String policyVersion,
    Instant createdAt,
    Instant updatedAt) {
  /** The lowest grade: not relevant. */
  public static final int MIN_LABEL = 0;

  /** The highest grade: perfectly relevant. */
  public static final int MAX_LABEL = 3;

  /** Longest rationale kept, in characters. */
  public static final int MAX_RATIONALE = 2000;

  public Judgment {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(annotator, "annotator");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(status, "status");
    rationale = rationale == null ? "" : rationale;
    tags = Map.copyOf(tags);
  }
}
