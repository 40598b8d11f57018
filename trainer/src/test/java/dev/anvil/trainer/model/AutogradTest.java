package dev.anvil.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.anvil.trainer.FreedMemory;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class AutogradTest {
  @Test
  void aConstantKeptByTheGraphOutlivesItsArrayAndTheGarbageCollector() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.create(new float[] {1f, 2f});
      x.setRequiresGradient(true);
      try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
        NDArray three = Autograd.constant(x, 3f);
        NDArray y = x.mul(three).sum();
        three.close(); // as DJL's mul(Number) closes the number it made
        List<ByteBuffer> nan = FreedMemory.scribble();
        c.backward(y);
        Reference.reachabilityFence(nan);
      }
      assertThat(x.getGradient().toFloatArray()).containsExactly(3f, 3f);
    }
  }
}
