package dev.anvil.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch records operations for gradients per thread, and a new thread starts recording. DJL's
 * gradient collector turns recording on for its scope and then restores the thread's previous mode,
 * so a worker thread must turn it off once itself: otherwise inference builds graphs for nothing
 * and the optimizer's in-place updates of the weights are refused.
 *
 * <p>Arithmetic between a number and an array that gradients flow through must take the number from
 * {@link #constant}, never through DJL's {@code mul(Number)}, {@code maximum(Number)} and the like
 * (see there). With arrays that need no gradient (masks, counts) those are harmless: nothing is
 * kept for a backward pass.
 */
public final class Autograd {
  private Autograd() {}

  /** Stops recording on this thread (until a gradient collector's scope). */
  public static void offForThisThread() {
    JniUtils.setGradMode(false);
  }

  /**
   * {@code value} as a 0-d tensor of {@code like}'s type, in {@code like}'s manager, whose memory
   * libtorch owns: safe to keep in a recorded graph. Thread-safe as {@code like}'s manager is.
   *
   * <p>Why not {@code x.mul(2f)}: on the CPU, DJL's PyTorch engine turns the number into a tensor
   * that aliases a direct {@code ByteBuffer} ({@code from_blob}, no copy) and closes that tensor as
   * soon as the operation returns, dropping the buffer. Autograd still holds the tensor for the
   * backward pass (the product's gradient needs the factor, the maximum's needs the bound). Once a
   * garbage collection frees the buffer, backward reads freed, reused memory: gradients silently
   * change, or turn NaN, at whichever step a collection happens to fall between forward and
   * backward. That depends on heap sizing and thread timing, so two runs of the same job differed
   * from some step on, more often on a busy machine. {@code full} allocates in libtorch instead.
   */
  public static NDArray constant(NDArray like, float value) {
    return like.getManager().full(new Shape(), value, like.getDataType());
  }
}
