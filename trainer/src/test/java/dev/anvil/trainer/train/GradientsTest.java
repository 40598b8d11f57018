package dev.anvil.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One infinite gradient must not become NaN weights: the step is refused before any weight changes,
 * naming the parameter, and clearing gradients works whatever they hold.
 */
class GradientsTest {
  /** Parameters {@code fine} and {@code steep}; the loss sqrt(steep) has an infinite slope at 0. */
  private static Map<String, NDArray> backward(NDManager m, float steepAt) {
    Map<String, NDArray> params = new LinkedHashMap<>();
    params.put("fine", m.create(new float[] {3f, 4f}));
    params.put("steep", m.create(new float[] {steepAt}));
    params.values().forEach(p -> p.setRequiresGradient(true));
    try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
      NDArray loss = params.get("fine").square().sum().add(params.get("steep").sqrt().sum());
      assertThat(Float.isFinite(loss.getFloat())).as("the loss itself is finite").isTrue();
      c.backward(loss);
    }
    return params;
  }

  @Test
  void anInfiniteGradientIsRefusedBeforeAnyWeightChanges() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = backward(m, 0f);
      assertThat(params.get("steep").getGradient().getFloat()).isInfinite();
      float[] before = params.get("fine").getGradient().toFloatArray();

      assertThatThrownBy(() -> Gradients.clip(params, 1.0, 6))
          .isInstanceOf(ArithmeticException.class)
          .hasMessageContaining("the gradient of steep is not finite at step 6")
          .hasMessageContaining("no weight was changed");
      // Clipping did not multiply by max/inf = 0, which would have made inf * 0 = NaN.
      assertThat(params.get("fine").getGradient().toFloatArray()).containsExactly(before);
    }
  }

  @Test
  void clearingAnInfiniteGradientLeavesZeroNotNaN() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = backward(m, 0f);
      Gradients.zero(params);
      assertThat(params.get("steep").getGradient().toFloatArray()).containsExactly(0f);
      assertThat(params.get("fine").getGradient().toFloatArray()).containsExactly(0f, 0f);
    }
  }

  @Test
  void finiteGradientsAreScaledToTheGlobalNorm() {
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, NDArray> params = backward(m, 0.25f); // gradients (6, 8) and 1
      double norm = Gradients.clip(params, 1.0, 1);
      assertThat(norm).isCloseTo(Math.sqrt(36 + 64 + 1), org.assertj.core.data.Offset.offset(1e-4));
      float[] fine = params.get("fine").getGradient().toFloatArray();
      float steep = params.get("steep").getGradient().getFloat();
      assertThat(Math.sqrt(fine[0] * fine[0] + fine[1] * fine[1] + steep * steep))
          .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }
  }
}
