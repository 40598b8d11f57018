package dev.anvil.context.api;

import java.util.List;
import java.util.Map;

/**
 * Each retriever's own ranking of a query, as one principal may see it: what judgments value
 * results by (a near tie, retrievers that disagree). Chunks are named {@code documentId#chunk}.
 *
 * @param fused the served order (reciprocal rank fusion of the retrievers)
 * @param retrievers {@code bm25} and {@code dense} (and {@code teacher} where one is configured):
 *     keys with raw scores, best first
 * @param chunks every chunk ranked, with its stored vector
 * @param modelId the embedding model
 * @param policyVersion the policy set that filtered both retrievers
 */
public record Ranked(
    List<String> fused,
    Map<String, List<Scored>> retrievers,
    Map<String, Chunk> chunks,
    String modelId,
    String policyVersion) {
  public Ranked {
    fused = List.copyOf(fused);
    retrievers = Map.copyOf(retrievers);
    chunks = Map.copyOf(chunks);
  }

  /** A chunk's key and raw score. */
  public record Scored(String key, double score) {}

  /**
   * A chunk ranked, as search returns it, and its stored vector.
   *
   * @param hit the chunk
   * @param vector its embedding (unit length), or empty
   */
  public record Chunk(SearchHit hit, float[] vector) {}

  /** The key of a chunk: {@code documentId#chunk}. */
  public static String key(String documentId, int chunk) {
    return documentId + "#" + chunk;
  }
}
