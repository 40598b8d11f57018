package dev.anvil.judge;

import java.util.OptionalDouble;

/**
 * Chance-corrected agreement of categorical labels: Cohen's kappa for two annotators, Fleiss' kappa
 * for several. Both are {@code (observed - expected) / (1 - expected)}: 1 for perfect agreement, 0
 * for what chance gives, below 0 for worse. Empty where it is undefined (no items, or a single
 * category used by everyone, where chance already agrees perfectly). Stateless.
 */
public final class Agreement {
  private Agreement() {}

  /**
   * Cohen's kappa of two annotators over the same items.
   *
   * @param a the first annotator's label of each item, 0 to {@code categories - 1}
   * @param b the second's, item by item
   * @throws IllegalArgumentException if the lengths differ or a label is out of range
   */
  public static OptionalDouble cohen(int[] a, int[] b, int categories) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "expected labels of the same items, got " + a.length + " and " + b.length);
    }
    int n = a.length;
    if (n == 0) {
      return OptionalDouble.empty();
    }
    double[] pa = new double[categories];
    double[] pb = new double[categories];
    int same = 0;
    for (int i = 0; i < n; i++) {
      check(a[i], categories);
      check(b[i], categories);
      pa[a[i]]++;
      pb[b[i]]++;
      if (a[i] == b[i]) {
        same++;
      }
    }
    double observed = (double) same / n;
    double expected = 0;
    for (int k = 0; k < categories; k++) {
      expected += (pa[k] / n) * (pb[k] / n);
    }
    return kappa(observed, expected);
  }

  /**
   * Fleiss' kappa: {@code counts[i][k]} is how many annotators gave item {@code i} category {@code
   * k}; every item has the same number of annotators, at least 2.
   *
   * @throws IllegalArgumentException if items have different numbers of annotators, or fewer than 2
   */
  public static OptionalDouble fleiss(int[][] counts) {
    int items = counts.length;
    if (items == 0) {
      return OptionalDouble.empty();
    }
    int categories = counts[0].length;
    int raters = sum(counts[0]);
    if (raters < 2) {
      throw new IllegalArgumentException("Fleiss' kappa needs at least 2 annotators per item");
    }
    double[] p = new double[categories];
    double observed = 0;
    for (int i = 0; i < items; i++) {
      if (counts[i].length != categories || sum(counts[i]) != raters) {
        throw new IllegalArgumentException(
            "item " + i + " has " + sum(counts[i]) + " labels, expected " + raters);
      }
      double agreeing = 0;
      for (int k = 0; k < categories; k++) {
        p[k] += counts[i][k];
        agreeing += (double) counts[i][k] * (counts[i][k] - 1);
      }
      observed += agreeing / ((double) raters * (raters - 1));
    }
    observed /= items;
    double expected = 0;
    for (int k = 0; k < categories; k++) {
      double pk = p[k] / ((double) items * raters);
      expected += pk * pk;
    }
    return kappa(observed, expected);
  }

  private static OptionalDouble kappa(double observed, double expected) {
    // Everyone used one category: chance agrees perfectly, and kappa says nothing.
    return expected >= 1 - 1e-12
        ? OptionalDouble.empty()
        : OptionalDouble.of((observed - expected) / (1 - expected));
  }

  private static int sum(int[] row) {
    int s = 0;
    for (int v : row) {
      s += v;
    }
    return s;
  }

  private static void check(int label, int categories) {
    if (label < 0 || label >= categories) {
      throw new IllegalArgumentException("label " + label + " outside 0 to " + (categories - 1));
    }
  }
}
