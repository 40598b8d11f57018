package dev.anvil.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;

/**
 * The gradients of a step: clipped to a global norm, refused when not finite, and cleared for the
 * next step without arithmetic.
 *
 * <p>Both matter because IEEE arithmetic turns one infinite gradient into NaN weights: clipping
 * multiplies by {@code max / inf = 0} and {@code inf * 0} is NaN, and clearing by {@code g - g}
 * gives NaN for {@code g = inf}. A step whose gradient norm is not finite is therefore refused
 * before the optimizer touches a weight, naming the first parameter at fault.
 */
final class Gradients {
  private Gradients() {}

  /**
   * Scales all gradients together down to a global norm of {@code maxNorm}; returns the norm before
   * scaling.
   *
   * @throws ArithmeticException if a gradient holds an infinity or NaN (nothing is changed)
   */
  static double clip(Map<String, NDArray> params, double maxNorm, int step) {
    double sum = 0;
    for (NDArray p : params.values()) {
      // In double: a float sum of squares overflows long before the norm itself does.
      sum +=
          p.getGradient()
              .toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
              .square()
              .sum()
              .getDouble();
    }
    double norm = Math.sqrt(sum);
    if (!Double.isFinite(norm)) {
      throw new ArithmeticException(
          "the gradient of "
              + firstNotFinite(params)
              + " is not finite at step "
              + step
              + " (global norm "
              + norm
              + "); no weight was changed; lower the learning rate or check the data");
    }
    if (norm > maxNorm) {
      float scale = (float) (maxNorm / (norm + 1e-6));
      params.values().forEach(p -> p.getGradient().muli(scale));
    }
    return norm;
  }

  /** Sets every gradient to zero (PyTorch accumulates them), whatever values they hold. */
  static void zero(Map<String, NDArray> params) {
    for (NDArray p : params.values()) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }

  private static String firstNotFinite(Map<String, NDArray> params) {
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      for (float f : e.getValue().getGradient().toFloatArray()) {
        if (!Float.isFinite(f)) {
          return e.getKey();
        }
      }
    }
    return "a parameter";
  }
}
