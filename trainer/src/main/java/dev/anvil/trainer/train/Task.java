package dev.anvil.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.Tensor;
import java.util.List;
import java.util.Map;

/** What is learned: the loss of a batch, the evaluation, and any weights beyond the encoder. */
public sealed interface Task permits EmbeddingTask, ClassifierTask, DistillTask {
  /** The task's name in job specs and model cards. */
  String name();

  /** The metric early stopping and "best" follow (higher is better). */
  String metric();

  /** Trainable weights besides the encoder's (a classification head), by name. */
  Map<String, NDArray> headWeights();

  /** The loss of a batch, with dropout, for the gradient collector. */
  NDArray loss(List<Example> batch, NDManager manager);

  /** Metrics on held-out examples, without dropout. */
  Map<String, Double> evaluate(List<Example> heldOut);

  /** Extra entries of the model card (e.g. the labels). */
  Map<String, Object> card();

  /** The head as tensors, for saving. */
  default Map<String, Tensor> headTensors() {
    Map<String, Tensor> out = new java.util.LinkedHashMap<>();
    headWeights()
        .forEach((n, a) -> out.put(n, new Tensor(a.getShape().getShape(), a.toFloatArray())));
    return out;
  }
}
