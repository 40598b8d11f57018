package dev.anvil.context.api;

import java.util.List;
import java.util.Map;

/**
 * One chunk returned to an agent, with its provenance.
 *
 * @param documentId the document
 * @param version the document version
 * @param chunk chunk number within the document
 * @param title document title
 * @param text chunk text
 * @param source document source URI
 * @param tags the document's tags
 * @param score fused score (higher is better)
 * @param policies ids of the policies that permitted the asking user to read it
 * @param tokens tokens of {@code text}
 */
public record SearchHit(
    String documentId,
    long version,
    int chunk,
    String title,
    String text,
    String source,
    Map<String, Object> tags,
    double score,
    List<String> policies,
    int tokens) {
  public SearchHit {
    tags = Map.copyOf(tags);
    policies = List.copyOf(policies);
  }
}
