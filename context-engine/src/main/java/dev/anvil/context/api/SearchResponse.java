package dev.anvil.context.api;

import java.util.List;
import java.util.Map;

/**
 * The answer to a search.
 *
 * @param hits chunks, best first, within the token budget
 * @param visibleMatches how many chunks the user may see match the keywords, or in a dense search
 *     how many the user may see at all (never counts hidden ones); exact up to 1,000, a lower bound
 *     above
 * @param visibleMatchesExact whether {@code visibleMatches} is exact
 * @param policyVersion the policy set version that filtered the search
 * @param modelId the embedding model of both the query and the index
 * @param facets for each requested tag, visible matching documents per value
 */
public record SearchResponse(
    List<SearchHit> hits,
    long visibleMatches,
    boolean visibleMatchesExact,
    String policyVersion,
    String modelId,
    Map<String, Map<String, Long>> facets) {
  public SearchResponse {
    hits = List.copyOf(hits);
    facets = Map.copyOf(facets);
  }

  /** The ids of the returned documents, in order, without repeats. */
  public List<String> documentIds() {
    return hits.stream().map(SearchHit::documentId).distinct().toList();
  }
}
