package dev.anvil.context.search;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reciprocal rank fusion: each list adds {@code 1 / (k + rank)} for every hit it ranks. */
public final class Rrf {
  /** The usual constant (Cormack et al., 2009). */
  public static final int K = 60;

  private Rrf() {}

  /** A fused hit: a chunk number of the rankings' snapshot and its fused score. */
  public record Fused(int doc, double score) {}

  /**
   * Fuses rankings (chunk numbers, best first); ties keep the order of first appearance, so results
   * are deterministic.
   */
  public static List<Fused> fuse(List<int[]> rankings) {
    Map<Integer, Double> scores = new LinkedHashMap<>();
    for (int[] ranking : rankings) {
      for (int rank = 0; rank < ranking.length; rank++) {
        scores.merge(ranking[rank], 1.0 / (K + rank + 1), Double::sum);
      }
    }
    List<Fused> out = new ArrayList<>();
    scores.forEach((doc, score) -> out.add(new Fused(doc, score)));
    out.sort(Comparator.comparingDouble(Fused::score).reversed());
    return out;
  }
}
