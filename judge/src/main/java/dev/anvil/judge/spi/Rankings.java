package dev.anvil.judge.spi;

import java.util.List;
import java.util.Map;

/**
 * What each retriever returned for one query, as one principal may see it.
 *
 * @param fused the served order (keys, best first)
 * @param retrievers each retriever's ranking by name ({@code bm25}, {@code dense}, {@code
 *     teacher}), scores raw
 * @param chunks every chunk ranked, by {@link CorpusChunk#key()}
 * @param modelId the model that ranked
 * @param policyVersion the policy set that decided what could be ranked
 */
public record Rankings(
    List<String> fused,
    Map<String, List<Scored>> retrievers,
    Map<String, CorpusChunk> chunks,
    String modelId,
    String policyVersion) {
  public Rankings {
    fused = List.copyOf(fused);
    retrievers = Map.copyOf(retrievers);
    chunks = Map.copyOf(chunks);
  }

  /** One ranked chunk with its raw score (higher is better). */
  public record Scored(String key, double score) {}
}
