package dev.anvil.context.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.anvil.modelcard.Pooling;
import org.junit.jupiter.api.Test;

/** The two poolings on hand-made hidden states: what each keeps and what it ignores. */
class PoolingTest {
  /**
   * Two texts padded to 3 tokens: the first has 3 real tokens, the second 2 and a padding token
   * whose vector is large, so that counting it would show.
   */
  static final float[] HIDDEN = {
    3, 0, 0, 4, 3, 8, // text 1: (3, 0), (0, 4), (3, 8)
    0, 2, 4, 0, 100, 100, // text 2: (0, 2), (4, 0), padding (100, 100)
  };

  static final long[] MASK = {1, 1, 1, 1, 1, 0};

  @Test
  void clsPoolingTakesTheFirstTokensVectorScaledToUnitLength() {
    float[][] v = OnnxEmbedder.pool(Pooling.CLS, HIDDEN, MASK, 2, 3, 2);
    assertThat(v[0]).containsExactly(new float[] {1, 0}, within(1e-6f)); // (3, 0) / 3
    assertThat(v[1]).containsExactly(new float[] {0, 1}, within(1e-6f)); // (0, 2) / 2
  }

  @Test
  void meanPoolingAveragesTheTokensTheMaskKeeps() {
    float[][] v = OnnxEmbedder.pool(Pooling.MEAN, HIDDEN, MASK, 2, 3, 2);
    // (3+0+3, 0+4+8) / 3 = (2, 4) -> (1, 2) / sqrt(5)
    float s5 = (float) Math.sqrt(5);
    assertThat(v[0]).containsExactly(new float[] {1 / s5, 2 / s5}, within(1e-6f));
    // (0+4, 2+0) / 2 = (2, 1), the padding's (100, 100) left out -> (2, 1) / sqrt(5)
    assertThat(v[1]).containsExactly(new float[] {2 / s5, 1 / s5}, within(1e-6f));
  }
}
