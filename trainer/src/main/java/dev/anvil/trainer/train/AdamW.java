package dev.anvil.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.anvil.trainer.model.Tensor;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov and Hutter), as PyTorch's {@code torch.optim.AdamW}: decoupled weight decay,
 * bias-corrected moments. Our own rather than DJL's so that its state can be checkpointed and
 * restored exactly: a resumed job continues with the same moments.
 */
final class AdamW {
  static final double BETA1 = 0.9;
  static final double BETA2 = 0.999;
  static final double EPS = 1e-6;

  private final NDManager manager;
  private final double weightDecay;
  private final Map<String, NDArray> m = new HashMap<>();
  private final Map<String, NDArray> v = new HashMap<>();
  private int steps;

  AdamW(NDManager manager, double weightDecay) {
    this.manager = manager;
    this.weightDecay = weightDecay;
  }

  /** Biases and LayerNorm parameters are not decayed (BERT's recipe). */
  static boolean decays(String name) {
    return !name.endsWith(".bias") && !name.contains("LayerNorm");
  }

  /** Updates every parameter from its gradient, in place. */
  void step(Map<String, NDArray> params, double lr) {
    steps++;
    double c1 = 1 - Math.pow(BETA1, steps);
    double c2 = 1 - Math.pow(BETA2, steps);
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      NDArray p = e.getValue();
      NDArray g = p.getGradient();
      NDArray mt = m.computeIfAbsent(e.getKey(), k -> persistent(p.zerosLike()));
      NDArray vt = v.computeIfAbsent(e.getKey(), k -> persistent(p.zerosLike()));
      if (weightDecay > 0 && decays(e.getKey())) {
        p.subi(p.mul((float) (lr * weightDecay)));
      }
      mt.muli((float) BETA1).addi(g.mul((float) (1 - BETA1)));
      vt.muli((float) BETA2).addi(g.square().mul((float) (1 - BETA2)));
      NDArray denom = vt.div((float) c2).sqrt().add((float) EPS);
      p.subi(mt.div((float) c1).div(denom).mul((float) lr));
    }
  }

  private NDArray persistent(NDArray a) {
    a.attach(manager);
    ai.djl.ndarray.NDScope.unregister(a);
    return a;
  }

  /** Steps taken. */
  int steps() {
    return steps;
  }

  /** The moments, as {@code m.<param>} and {@code v.<param>} tensors. */
  Map<String, Tensor> state() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    m.forEach((n, a) -> out.put("m." + n, new Tensor(a.getShape().getShape(), a.toFloatArray())));
    v.forEach((n, a) -> out.put("v." + n, new Tensor(a.getShape().getShape(), a.toFloatArray())));
    return out;
  }

  /** Restores {@link #state()} and the step count. */
  void restore(Map<String, Tensor> state, int steps) {
    this.steps = steps;
    state.forEach(
        (key, t) -> {
          NDArray a = manager.create(t.data(), new ai.djl.ndarray.types.Shape(t.shape()));
          (key.startsWith("m.") ? m : v).put(key.substring(2), a);
        });
  }
}
