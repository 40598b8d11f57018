package dev.anvil.trainer.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch records operations for gradients per thread, and a new thread starts recording. DJL's
 * gradient collector turns recording on for its scope and then restores the thread's previous mode,
 * so a worker thread must turn it off once itself: otherwise inference builds graphs for nothing
 * and the optimizer's in-place updates of the weights are refused.
 */
public final class Autograd {
  private Autograd() {}

  /** Stops recording on this thread (until a gradient collector's scope). */
  public static void offForThisThread() {
    JniUtils.setGradMode(false);
  }
}
