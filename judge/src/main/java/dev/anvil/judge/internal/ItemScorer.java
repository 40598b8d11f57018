package dev.anvil.judge.internal;

import dev.anvil.judge.ItemValue;
import dev.anvil.judge.spi.CorpusChunk;
import dev.anvil.judge.spi.Rankings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a judgment of each result is worth, from the rankings of a task's queries (active learning,
 * not random sampling):
 *
 * <ul>
 *   <li><b>uncertainty</b>, per query: the margin between the first two results of each retriever,
 *       relative to the first's score, averaged over retrievers; the task's query of the lowest
 *       margin scores 1, the most confident 0. Where the model barely prefers its first result, a
 *       label decides the most.
 *   <li><b>disagreement</b>, per result: how far apart BM25, dense and (if present) the teacher
 *       rank it. A result one retriever puts first and another does not rank is one of them wrong.
 *   <li><b>cluster</b>: near-identical chunks (cosine at least {@value #SAME_CLUSTER}) form a
 *       group, so that the queue spreads over groups instead of asking the same thing twice.
 * </ul>
 *
 * Deterministic: the same rankings give the same values and groups. Stateless.
 */
public final class ItemScorer {
  /** Cosine from which two chunks are one group. */
  static final double SAME_CLUSTER = 0.9;

  private ItemScorer() {}

  /** One query's rankings. */
  public record QueryRankings(int queryNo, Rankings rankings) {}

  /** A result worth judging, before it is stored as an item. */
  public record Scored(
      int queryNo, CorpusChunk chunk, int rankFused, Map<String, Integer> ranks, ItemValue value) {}

  /** Values and groups of every result of every query, best first. */
  public static List<ItemScorer.Scored> score(List<QueryRankings> queries, int depth) {
    Map<Integer, Double> margins = new LinkedHashMap<>();
    double maxMargin = 0;
    for (QueryRankings q : queries) {
      double m = margin(q.rankings(), depth);
      margins.put(q.queryNo(), m);
      if (Double.isFinite(m)) {
        maxMargin = Math.max(maxMargin, m);
      }
    }
    List<Pre> pre = new ArrayList<>();
    for (QueryRankings q : queries) {
      double m = margins.get(q.queryNo());
      double uncertainty =
          !Double.isFinite(m) ? 0 : maxMargin <= 0 ? 1 : 1 - Math.min(1, m / maxMargin);
      Rankings r = q.rankings();
      Map<String, Map<String, Integer>> ranks = new TreeMap<>();
      r.retrievers()
          .forEach(
              (name, list) -> {
                for (int i = 0; i < Math.min(depth, list.size()); i++) {
                  ranks.computeIfAbsent(list.get(i).key(), k -> new TreeMap<>()).put(name, i + 1);
                }
              });
      for (Map.Entry<String, Map<String, Integer>> e : ranks.entrySet()) {
        CorpusChunk chunk = r.chunks().get(e.getKey());
        if (chunk == null) {
          continue; // ranked but not readable any more: never an item
        }
        double disagreement = disagreement(e.getValue(), r.retrievers().size(), depth);
        int fused = r.fused().indexOf(e.getKey());
        pre.add(
            new Pre(
                q.queryNo(),
                chunk,
                fused < 0 ? r.fused().size() + 1 : fused + 1,
                e.getValue(),
                uncertainty,
                disagreement));
      }
    }
    pre.sort(
        Comparator.comparingDouble(Pre::score)
            .reversed()
            .thenComparing(p -> p.chunk().key())
            .thenComparingInt(Pre::queryNo));
    return cluster(pre);
  }

  /** Mean relative margin of the first two results over retrievers; infinite if none has two. */
  static double margin(Rankings r, int depth) {
    double sum = 0;
    int n = 0;
    for (List<Rankings.Scored> list : r.retrievers().values()) {
      if (Math.min(depth, list.size()) >= 2) {
        double s1 = list.get(0).score();
        double s2 = list.get(1).score();
        sum += (s1 - s2) / Math.max(Math.abs(s1), 1e-9);
        n++;
      }
    }
    return n == 0 ? Double.POSITIVE_INFINITY : sum / n;
  }

  /** (highest rank − lowest rank) / depth over every retriever; absent counts as depth + 1. */
  static double disagreement(Map<String, Integer> ranks, int retrievers, int depth) {
    if (retrievers < 2) {
      return 0;
    }
    int lo = Integer.MAX_VALUE;
    int hi = Integer.MIN_VALUE;
    for (int r : ranks.values()) {
      lo = Math.min(lo, r);
      hi = Math.max(hi, r);
    }
    if (ranks.size() < retrievers) {
      hi = depth + 1;
    }
    return Math.min(1, (double) (hi - lo) / depth);
  }

  /** Leader clustering in value order: each chunk joins the first group whose leader is alike. */
  private static List<ItemScorer.Scored> cluster(List<Pre> pre) {
    List<float[]> leaders = new ArrayList<>();
    Map<String, Integer> byKey = new LinkedHashMap<>();
    List<ItemScorer.Scored> out = new ArrayList<>(pre.size());
    for (Pre p : pre) {
      Integer group = byKey.get(p.chunk().key());
      if (group == null) {
        float[] v = p.chunk().vector();
        for (int g = 0; g < leaders.size() && group == null && v.length > 0; g++) {
          if (leaders.get(g).length == v.length && dot(leaders.get(g), v) >= SAME_CLUSTER) {
            group = g;
          }
        }
        if (group == null) {
          group = leaders.size();
          leaders.add(v);
        }
        byKey.put(p.chunk().key(), group);
      }
      out.add(
          new ItemScorer.Scored(
              p.queryNo(),
              p.chunk(),
              p.rankFused(),
              p.ranks(),
              new ItemValue(p.uncertainty(), p.disagreement(), group, p.score())));
    }
    return out;
  }

  private static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  private record Pre(
      int queryNo,
      CorpusChunk chunk,
      int rankFused,
      Map<String, Integer> ranks,
      double uncertainty,
      double disagreement) {
    double score() {
      return (uncertainty + disagreement) / 2;
    }
  }
}
