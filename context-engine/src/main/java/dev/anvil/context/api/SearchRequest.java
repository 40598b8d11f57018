package dev.anvil.context.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A question for the context engine.
 *
 * @param query the text
 * @param topK the most chunks to return
 * @param tokenBudget the most tokens of chunk text to return (0: no budget); chunks are never cut
 * @param narrowTo the caller's own tag filter: tag to accepted values (all tags must match, any
 *     value); it can only narrow what the policy admits
 * @param mode which retrievers run
 * @param facets tags whose values to count over the visible keyword matches (documents per value)
 */
public record SearchRequest(
    String query,
    int topK,
    int tokenBudget,
    Map<String, List<String>> narrowTo,
    Mode mode,
    List<String> facets) {

  /** Retrievers. */
  public enum Mode {
    /** BM25 and vectors, fused by reciprocal rank. */
    HYBRID,
    /** Keywords only. */
    BM25,
    /** Vectors only. */
    DENSE
  }

  /** The most chunks one request may ask for. */
  public static final int MAX_TOP_K = 1000;

  public SearchRequest {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(mode, "mode");
    narrowTo = Map.copyOf(narrowTo);
    facets = List.copyOf(facets);
  }

  /** A request without facets. */
  public SearchRequest(
      String query, int topK, int tokenBudget, Map<String, List<String>> narrowTo, Mode mode) {
    this(query, topK, tokenBudget, narrowTo, mode, List.of());
  }

  /** A hybrid search for the top {@code k} chunks, no budget, no narrowing. */
  public static SearchRequest of(String query, int topK) {
    return new SearchRequest(query, topK, 0, Map.of(), Mode.HYBRID);
  }

  /**
   * Checks the fields.
   *
   * @throws InvalidRequestException naming the bad one
   */
  public void check() {
    if (query.isBlank()) {
      throw new InvalidRequestException("query", "expected text, was empty");
    }
    if (topK < 1 || topK > MAX_TOP_K) {
      throw new InvalidRequestException("top_k", "expected 1 to " + MAX_TOP_K + ", was " + topK);
    }
    if (tokenBudget < 0) {
      throw new InvalidRequestException("token_budget", "expected >= 0, was " + tokenBudget);
    }
  }
}
