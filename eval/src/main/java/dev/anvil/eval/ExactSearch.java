package dev.anvil.eval;

import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/** Exact dense retrieval over embeddings: the reference any index is measured against. */
public final class ExactSearch {
  private ExactSearch() {}

  /**
   * The positions in {@code corpus} of the {@code k} vectors with the highest dot product with
   * {@code query} (cosine similarity for unit vectors), best first; ties keep corpus order.
   */
  public static List<Integer> topK(float[] query, float[][] corpus, int k) {
    double[] scores = new double[corpus.length];
    for (int i = 0; i < corpus.length; i++) {
      scores[i] = dot(query, corpus[i]);
    }
    return IntStream.range(0, corpus.length)
        .boxed()
        .sorted(Comparator.comparingDouble(i -> -scores[i]))
        .limit(k)
        .toList();
  }

  /** The dot product of two vectors of the same length. */
  public static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
