package dev.anvil.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.BertEncoder;
import dev.anvil.trainer.model.EncoderModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Sequence classification (e.g. suggesting a document's classification tag at ingest): a linear
 * head over the mean-pooled encoder output, trained with cross-entropy together with the encoder.
 * Evaluated by accuracy and macro-F1. The head is saved as {@code classifier.weight} and {@code
 * classifier.bias}.
 */
public final class ClassifierTask implements Task {
  private final EncoderModel model;
  private final List<String> labels;
  private final Map<String, NDArray> head = new LinkedHashMap<>();

  /** A new head for {@code labels} (in this order), initialised from {@code seed}. */
  public ClassifierTask(EncoderModel model, List<String> labels, long seed) {
    this.model = model;
    this.labels = List.copyOf(labels);
    int h = model.encoder().config().hiddenSize();
    Random r = new Random(seed);
    float[] w = new float[labels.size() * h];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * 0.02);
    }
    NDManager m = model.encoder().manager();
    head.put("classifier.weight", m.create(w, new Shape(labels.size(), h)));
    head.put("classifier.bias", m.zeros(new Shape(labels.size())));
  }

  /** The labels, in the order of the head's outputs. */
  public List<String> labels() {
    return labels;
  }

  @Override
  public String name() {
    return "classifier";
  }

  @Override
  public String metric() {
    return "macro_f1";
  }

  @Override
  public Map<String, NDArray> headWeights() {
    return head;
  }

  private NDArray logits(List<String> texts, NDManager manager, boolean training) {
    EncoderModel.Batch b = model.tokenize(texts, manager);
    NDArray pooled =
        BertEncoder.meanPool(
            model.encoder().forward(b.ids(), b.mask(), b.types(), training), b.mask());
    if (training) {
      pooled = Dropout.dropout(pooled, BertEncoder.DROPOUT, true).singletonOrThrow();
    }
    return Linear.linear(pooled, head.get("classifier.weight"), head.get("classifier.bias"))
        .singletonOrThrow();
  }

  @Override
  public NDArray loss(List<Example> batch, NDManager manager) {
    List<String> texts = new ArrayList<>();
    float[] targets = new float[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      Example.Labeled l = (Example.Labeled) batch.get(i);
      texts.add(l.text());
      targets[i] = labels.indexOf(l.label());
    }
    NDArray oneHot = manager.create(targets).oneHot(labels.size());
    return logits(texts, manager, true).logSoftmax(1).mul(oneHot).sum(new int[] {1}).neg().mean();
  }

  /** The predicted label of each text. */
  public List<String> predict(List<String> texts) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < texts.size(); i += 32) {
      try (NDScope scope = new NDScope();
          NDManager m = model.encoder().manager().newSubManager()) {
        NDArray best = logits(texts.subList(i, Math.min(texts.size(), i + 32)), m, false).argMax(1);
        for (long k : best.toLongArray()) {
          out.add(labels.get((int) k));
        }
      }
    }
    return out;
  }

  @Override
  public Map<String, Double> evaluate(List<Example> heldOut) {
    List<String> truth = heldOut.stream().map(e -> ((Example.Labeled) e).label()).toList();
    List<String> predicted =
        predict(heldOut.stream().map(e -> ((Example.Labeled) e).text()).toList());
    int correct = 0;
    for (int i = 0; i < truth.size(); i++) {
      if (truth.get(i).equals(predicted.get(i))) {
        correct++;
      }
    }
    double f1 = 0;
    for (String label : labels) {
      int tp = 0;
      int fp = 0;
      int fn = 0;
      for (int i = 0; i < truth.size(); i++) {
        boolean t = truth.get(i).equals(label);
        boolean p = predicted.get(i).equals(label);
        tp += t && p ? 1 : 0;
        fp += !t && p ? 1 : 0;
        fn += t && !p ? 1 : 0;
      }
      f1 += tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }
    return Map.of("accuracy", (double) correct / truth.size(), "macro_f1", f1 / labels.size());
  }

  @Override
  public Map<String, Object> card() {
    return Map.of(
        "objective", "cross-entropy", "labels", labels, "head", "linear over mean-pooled tokens");
  }
}
