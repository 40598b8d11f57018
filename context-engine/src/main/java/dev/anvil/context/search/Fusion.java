package dev.anvil.context.search;

/**
 * How hybrid search fuses its retrievers' rankings: reciprocal rank fusion by document ({@link
 * Rrf#fuseByDocument}) with the constant {@code k}. A small {@code k} trusts each retriever's top
 * ranks more; the usual 60 flattens them. A deployment chooses {@code k} on its own experts' dev
 * split ({@code anvil eval fusion}), never on the queries it reports.
 *
 * @param k the RRF constant, 1 to {@value #MAX_K}
 */
public record Fusion(int k) {
  /** The largest {@code k}: beyond it every rank scores nearly alike. */
  public static final int MAX_K = 10_000;

  /** RRF's usual constant (Cormack et al., 2009). */
  public static final Fusion DEFAULT = new Fusion(60);

  /**
   * @throws IllegalArgumentException if {@code k} is outside 1 to {@value #MAX_K}
   */
  public Fusion {
    if (k < 1 || k > MAX_K) {
      throw new IllegalArgumentException("fusion k must be between 1 and " + MAX_K + ", not " + k);
    }
  }
}
