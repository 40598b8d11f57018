package dev.anvil.judge;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A set of queries whose results are to be judged, each item by {@code overlap} annotators.
 *
 * @param id the task's id, chosen by its creator
 * @param name a readable name
 * @param queries the queries, in order
 * @param overlap how many annotators judge each item
 * @param adjudicatorRole the role whose holders settle disagreements
 * @param creator the subject that created it
 * @param modelId the embedding model whose results it holds
 * @param policyVersion the policy set that decided what its creator could read
 * @param items how many items it holds
 * @param createdAt when
 */
public record Task(
    String id,
    String name,
    List<String> queries,
    int overlap,
    String adjudicatorRole,
    String creator,
    String modelId,
    String policyVersion,
    int items,
    Instant createdAt) {
  public Task {
    Objects.requireNonNull(id, "id");
    queries = List.copyOf(queries);
  }
}
