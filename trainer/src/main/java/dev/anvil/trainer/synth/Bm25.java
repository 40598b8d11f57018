package dev.anvil.trainer.synth;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * BM25 (k1 = 1.2, b = 0.75) over the passages of a corpus held in memory: enough to rank hard
 * negatives for synthetic queries without an index. Terms are lower-cased runs of letters and
 * digits, without a few English stop words. Ties rank by passage order, so rankings are
 * deterministic. Not thread-safe while built; read-only after.
 */
final class Bm25 {
  private static final double K1 = 1.2;
  private static final double B = 0.75;
  private static final Pattern TERM = Pattern.compile("[\\p{L}\\p{N}]+");
  private static final Set<String> STOP =
      Set.of(
          "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "it", "of",
          "on", "or", "that", "the", "this", "to", "was", "were", "with");

  /** Per term: the passages holding it and how often. */
  private final Map<String, List<int[]>> postings = new HashMap<>();

  private final int[] lengths;
  private final double averageLength;

  Bm25(List<String> texts) {
    lengths = new int[texts.size()];
    long total = 0;
    for (int p = 0; p < texts.size(); p++) {
      Map<String, Integer> tf = new HashMap<>();
      List<String> terms = terms(texts.get(p));
      for (String t : terms) {
        tf.merge(t, 1, Integer::sum);
      }
      lengths[p] = terms.size();
      total += terms.size();
      for (var e : tf.entrySet()) {
        postings
            .computeIfAbsent(e.getKey(), k -> new ArrayList<>())
            .add(new int[] {p, e.getValue()});
      }
    }
    averageLength = texts.isEmpty() ? 0 : Math.max(1.0, (double) total / texts.size());
  }

  static List<String> terms(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = TERM.matcher(text.toLowerCase(Locale.ROOT));
    while (m.find()) {
      if (!STOP.contains(m.group())) {
        out.add(m.group());
      }
    }
    return out;
  }

  /** The {@code n} best passages for {@code query}, best first; only passages sharing a term. */
  int[] top(String query, int n) {
    double[] scores = new double[lengths.length];
    boolean[] hit = new boolean[lengths.length];
    for (String t : new java.util.LinkedHashSet<>(terms(query))) {
      List<int[]> docs = postings.get(t);
      if (docs == null) {
        continue;
      }
      double idf = Math.log(1 + (lengths.length - docs.size() + 0.5) / (docs.size() + 0.5));
      for (int[] d : docs) {
        double tf = d[1];
        double norm = K1 * (1 - B + B * lengths[d[0]] / averageLength);
        scores[d[0]] += idf * tf * (K1 + 1) / (tf + norm);
        hit[d[0]] = true;
      }
    }
    // Best first; equal scores in passage order.
    return java.util.stream.IntStream.range(0, lengths.length)
        .filter(p -> hit[p])
        .boxed()
        .sorted((x, y) -> scores[x] != scores[y] ? Double.compare(scores[y], scores[x]) : x - y)
        .limit(n)
        .mapToInt(Integer::intValue)
        .toArray();
  }
}
