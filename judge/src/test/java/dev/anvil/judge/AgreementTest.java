package dev.anvil.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Cohen's and Fleiss' kappa against textbook values computed by hand. */
class AgreementTest {

  /** Two raters, 50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15 (po 0.7, pe 0.5). */
  @Test
  void cohensKappaOfTheTextbookTableIsZeroPointFour() {
    int[][] table = {{20, 5}, {10, 15}};
    assertThat(cohen(table)).isCloseTo(0.4, within(1e-12));
  }

  /** 45/15/25/15: po 0.6, pe 0.54, kappa 0.06 / 0.46 = 0.1304. */
  @Test
  void cohensKappaOfTheSecondTextbookTable() {
    int[][] table = {{45, 15}, {25, 15}};
    assertThat(cohen(table)).isCloseTo(0.06 / 0.46, within(1e-12));
  }

  private static double cohen(int[][] table) {
    int n = 0;
    for (int[] row : table) {
      for (int v : row) {
        n += v;
      }
    }
    int[] a = new int[n];
    int[] b = new int[n];
    int i = 0;
    for (int x = 0; x < table.length; x++) {
      for (int y = 0; y < table[x].length; y++) {
        for (int k = 0; k < table[x][y]; k++, i++) {
          a[i] = x;
          b[i] = y;
        }
      }
    }
    return Agreement.cohen(a, b, 2).orElseThrow();
  }

  /** Fleiss (1971) as textbooks retell it: 10 items, 14 raters, 5 categories; kappa 0.210. */
  @Test
  void fleissKappaOfTheTextbookTableIsZeroPointTwoOneZero() {
    int[][] counts = {
      {0, 0, 0, 0, 14},
      {0, 2, 6, 4, 2},
      {0, 0, 3, 5, 6},
      {0, 3, 9, 2, 0},
      {2, 2, 8, 1, 1},
      {7, 7, 0, 0, 0},
      {3, 2, 6, 3, 0},
      {2, 5, 3, 2, 2},
      {6, 5, 2, 1, 0},
      {0, 2, 2, 3, 7}
    };
    // P-bar = 0.37802, P-e-bar = 0.21276: (0.37802 - 0.21276) / (1 - 0.21276) = 0.20993.
    assertThat(Agreement.fleiss(counts).orElseThrow()).isCloseTo(0.20993, within(5e-5));
  }

  @Test
  void perfectAgreementIsOneAndChanceIsZero() {
    assertThat(Agreement.cohen(new int[] {0, 1, 2, 3}, new int[] {0, 1, 2, 3}, 4).orElseThrow())
        .isEqualTo(1.0);
    // Each rater half 0, half 1, independent of the other: observed = expected = 0.5.
    assertThat(Agreement.cohen(new int[] {0, 0, 1, 1}, new int[] {0, 1, 0, 1}, 2).orElseThrow())
        .isCloseTo(0.0, within(1e-12));
  }

  @Test
  void undefinedWhenEveryoneUsesOneCategoryOrThereIsNothing() {
    assertThat(Agreement.cohen(new int[] {2, 2}, new int[] {2, 2}, 4)).isEmpty();
    assertThat(Agreement.cohen(new int[0], new int[0], 4)).isEmpty();
    assertThat(Agreement.fleiss(new int[][] {{0, 3}, {0, 3}})).isEmpty();
  }

  @Test
  void refusesLabelsOfDifferentItemsOrOutOfRange() {
    assertThatThrownBy(() -> Agreement.cohen(new int[] {1}, new int[] {1, 2}, 4))
        .hasMessageContaining("same items");
    assertThatThrownBy(() -> Agreement.cohen(new int[] {4}, new int[] {1}, 4))
        .hasMessageContaining("label 4 outside 0 to 3");
    assertThatThrownBy(() -> Agreement.fleiss(new int[][] {{1, 1}, {2, 1}}))
        .hasMessageContaining("item 1 has 3 labels, expected 2");
  }
}
