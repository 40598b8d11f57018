package dev.anvil.judge;

import java.util.Map;
import java.util.Objects;

/**
 * One thing to judge: a chunk as a result of a query, with what made it worth judging.
 *
 * @param id the item's id (random: it says nothing of the chunk)
 * @param taskId its task
 * @param query the query
 * @param documentId the document
 * @param chunk the chunk number
 * @param documentVersion the document version ranked
 * @param textSha256 SHA-256 (hex) of the chunk text ranked
 * @param tags the chunk's tags when ranked (a judgment takes them afresh)
 * @param rank its rank in the served (fused) result, 1 first
 * @param ranks its rank in each retriever ({@code bm25}, {@code dense}, {@code teacher}); absent
 *     where it was not in the first {@code depth}
 * @param value why it is worth judging
 * @param modelId the model that ranked it
 * @param policyVersion the policy set that decided what was ranked
 */
public record Item(
    String id,
    String taskId,
    String query,
    String documentId,
    int chunk,
    long documentVersion,
    String textSha256,
    Map<String, Object> tags,
    int rank,
    Map<String, Integer> ranks,
    ItemValue value,
    String modelId,
    String policyVersion) {
  public Item {
    Objects.requireNonNull(id, "id");
    tags = Map.copyOf(tags);
    ranks = Map.copyOf(ranks);
  }
}
