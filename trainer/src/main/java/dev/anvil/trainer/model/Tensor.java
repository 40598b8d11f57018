package dev.anvil.trainer.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named-free dense float tensor in row-major order, as weights travel between files and the
 * engine. Every format is widened to 32-bit floats on the way in (BF16 would abort the CPU engine).
 */
public record Tensor(long[] shape, float[] data) {
  public Tensor {
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
    }
  }

  /** The same values as a matrix transposed (a 2-d tensor only). */
  public Tensor transpose() {
    if (shape.length != 2) {
      throw new IllegalStateException("transpose of a " + shape.length + "-d tensor");
    }
    int rows = (int) shape[0];
    int cols = (int) shape[1];
    float[] out = new float[data.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = data[r * cols + c];
      }
    }
    return new Tensor(new long[] {cols, rows}, out);
  }

  /** The shape as text, e.g. {@code [384, 1536]}. */
  public String shapeText() {
    return Arrays.toString(shape);
  }
}
