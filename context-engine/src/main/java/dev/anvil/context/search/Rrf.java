package dev.anvil.context.search;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reciprocal rank fusion: each list adds {@code 1 / (k + rank)} for every hit it ranks ({@link
 * Fusion} says which {@code k} a deployment uses).
 *
 * <p>Hybrid search fuses by document ({@link #fuseByDocument}): each retriever's list is collapsed
 * to documents first, a document ranked where its best chunk is. Fusing chunks instead lets a
 * document that BM25 finds by one chunk and the vectors by another score as two weak hits, where it
 * is one document both retrievers rank first.
 */
public final class Rrf {
  private Rrf() {}

  /** A fused hit: a chunk number of the rankings' snapshot and its fused score. */
  public record Fused(int doc, double score) {}

  /** The documents chunk numbers belong to, in their order. */
  @FunctionalInterface
  public interface DocumentsOf {
    String[] of(int[] chunks) throws IOException;
  }

  /**
   * Fuses rankings (chunk numbers, best first); ties keep the order of first appearance, so results
   * are deterministic.
   */
  public static List<Fused> fuse(List<int[]> rankings, int k) {
    Map<Integer, Double> scores = new LinkedHashMap<>();
    for (int[] ranking : rankings) {
      for (int rank = 0; rank < ranking.length; rank++) {
        scores.merge(ranking[rank], 1.0 / (k + rank + 1), Double::sum);
      }
    }
    return sorted(scores);
  }

  /**
   * Fuses rankings by document: in each list a document's rank is that of its first chunk among the
   * distinct documents; documents are ordered by their fused score, and each document's chunks
   * (those any list ranked) follow one another, ordered by their own fused score, each carrying its
   * document's score. Ties keep the order of first appearance. A single list is returned as it is.
   */
  public static List<Fused> fuseByDocument(List<int[]> rankings, int k, DocumentsOf documentsOf)
      throws IOException {
    if (rankings.size() < 2) {
      return fuse(rankings, k);
    }
    int[] all = rankings.stream().flatMapToInt(java.util.Arrays::stream).distinct().toArray();
    String[] ids = documentsOf.of(all);
    Map<Integer, String> documentOf = new java.util.HashMap<>();
    for (int i = 0; i < all.length; i++) {
      documentOf.put(all[i], ids[i]);
    }
    Map<String, Double> documentScores = new LinkedHashMap<>();
    Map<String, Map<Integer, Double>> chunksOf = new LinkedHashMap<>();
    for (int[] ranking : rankings) {
      Set<String> seen = new HashSet<>();
      for (int rank = 0; rank < ranking.length; rank++) {
        String document = documentOf.get(ranking[rank]);
        if (seen.add(document)) {
          documentScores.merge(document, 1.0 / (k + seen.size()), Double::sum);
        }
        chunksOf
            .computeIfAbsent(document, d -> new LinkedHashMap<>())
            .merge(ranking[rank], 1.0 / (k + rank + 1), Double::sum);
      }
    }
    List<Map.Entry<String, Double>> documents = new ArrayList<>(documentScores.entrySet());
    documents.sort(Map.Entry.<String, Double>comparingByValue().reversed());
    List<Fused> out = new ArrayList<>();
    for (Map.Entry<String, Double> d : documents) {
      for (Fused chunk : sorted(chunksOf.get(d.getKey()))) {
        out.add(new Fused(chunk.doc(), d.getValue()));
      }
    }
    return out;
  }

  private static List<Fused> sorted(Map<Integer, Double> scores) {
    List<Fused> out = new ArrayList<>();
    scores.forEach((doc, score) -> out.add(new Fused(doc, score)));
    out.sort(Comparator.comparingDouble(Fused::score).reversed());
    return out;
  }
}
