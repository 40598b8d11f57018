package dev.anvil.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The standard BEIR metrics for one ranked list (trec_eval definitions). */
public final class RetrievalMetrics {
  private RetrievalMetrics() {}

  /** nDCG@k with graded gains {@code rel} and log2 discounts. */
  public static double ndcg(List<String> ranked, Map<String, Integer> relevant, int k) {
    double dcg = 0;
    for (int i = 0; i < Math.min(k, ranked.size()); i++) {
      int rel = relevant.getOrDefault(ranked.get(i), 0);
      dcg += rel / log2(i + 2);
    }
    List<Integer> ideal = new ArrayList<>(relevant.values());
    ideal.sort((a, b) -> b - a);
    double idcg = 0;
    for (int i = 0; i < Math.min(k, ideal.size()); i++) {
      idcg += ideal.get(i) / log2(i + 2);
    }
    return idcg == 0 ? 0 : dcg / idcg;
  }

  /** Fraction of the relevant documents found in the first {@code k}. */
  public static double recall(List<String> ranked, Map<String, Integer> relevant, int k) {
    long positives = relevant.values().stream().filter(v -> v > 0).count();
    if (positives == 0) {
      return 0;
    }
    long found = ranked.stream().limit(k).filter(d -> relevant.getOrDefault(d, 0) > 0).count();
    return (double) found / positives;
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }
}
