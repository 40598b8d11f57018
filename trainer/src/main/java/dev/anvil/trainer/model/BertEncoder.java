package dev.anvil.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * A BERT encoder that computes exactly what Hugging Face's {@code BertModel} computes (post-norm
 * residual blocks, LayerNorm, erf GELU, softmax attention with an additive mask), written with
 * DJL's functional operators over weights named as in Hugging Face checkpoints, so real weights
 * load by name and save back by name. DJL's own {@code BertBlock} is a different network and cannot
 * load them.
 *
 * <p>Weights live in this encoder's {@link NDManager} on one device. Not thread-safe for training.
 */
public final class BertEncoder implements AutoCloseable {
  /** Dropout of the hidden states and attention probabilities while training (BERT's 0.1). */
  public static final float DROPOUT = 0.1f;

  private final BertConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> weights;
  private LoraAdapters lora; // null: none

  private BertEncoder(BertConfig config, NDManager manager, Map<String, NDArray> weights) {
    this.config = config;
    this.manager = manager;
    this.weights = weights;
  }

  /** The weights a config needs, by Hugging Face name, with their shapes, in a stable order. */
  public static Map<String, Shape> expectedShapes(BertConfig c) {
    Map<String, Shape> s = new LinkedHashMap<>();
    long h = c.hiddenSize();
    s.put("embeddings.word_embeddings.weight", new Shape(c.vocabSize(), h));
    s.put("embeddings.position_embeddings.weight", new Shape(c.maxPositions(), h));
    s.put("embeddings.token_type_embeddings.weight", new Shape(c.typeVocabSize(), h));
    s.put("embeddings.LayerNorm.weight", new Shape(h));
    s.put("embeddings.LayerNorm.bias", new Shape(h));
    for (int i = 0; i < c.layers(); i++) {
      String p = "encoder.layer." + i + ".";
      for (String m :
          List.of(
              "attention.self.query",
              "attention.self.key",
              "attention.self.value",
              "attention.output.dense")) {
        s.put(p + m + ".weight", new Shape(h, h));
        s.put(p + m + ".bias", new Shape(h));
      }
      s.put(p + "attention.output.LayerNorm.weight", new Shape(h));
      s.put(p + "attention.output.LayerNorm.bias", new Shape(h));
      s.put(p + "intermediate.dense.weight", new Shape(c.intermediateSize(), h));
      s.put(p + "intermediate.dense.bias", new Shape(c.intermediateSize()));
      s.put(p + "output.dense.weight", new Shape(h, c.intermediateSize()));
      s.put(p + "output.dense.bias", new Shape(h));
      s.put(p + "output.LayerNorm.weight", new Shape(h));
      s.put(p + "output.LayerNorm.bias", new Shape(h));
    }
    return s;
  }

  /**
   * An encoder with the given weights on {@code device}. Every expected weight must be present with
   * its shape; weights the encoder does not use must be declared {@code ignorable}.
   *
   * @throws ModelFormatException naming missing, unknown and misshapen weights
   */
  public static BertEncoder of(
      BertConfig config,
      Map<String, Tensor> tensors,
      java.util.Set<String> ignorable,
      Device device,
      String source) {
    Map<String, Shape> expected = expectedShapes(config);
    List<String> problems = new ArrayList<>();
    TreeSet<String> missing = new TreeSet<>(expected.keySet());
    missing.removeAll(tensors.keySet());
    if (!missing.isEmpty()) {
      problems.add("missing " + missing);
    }
    TreeSet<String> unknown = new TreeSet<>(tensors.keySet());
    unknown.removeAll(expected.keySet());
    unknown.removeAll(ignorable);
    if (!unknown.isEmpty()) {
      problems.add("unknown " + unknown);
    }
    for (var e : expected.entrySet()) {
      Tensor t = tensors.get(e.getKey());
      if (t != null && !new Shape(t.shape()).equals(e.getValue())) {
        problems.add(e.getKey() + " has shape " + t.shapeText() + ", expected " + e.getValue());
      }
    }
    if (!problems.isEmpty()) {
      throw new ModelFormatException(
          source + ": weights do not fit " + config + ": " + String.join("; ", problems));
    }
    NDManager manager = Engine.getInstance().newBaseManager(device);
    Map<String, NDArray> weights = new LinkedHashMap<>();
    for (var e : expected.entrySet()) {
      weights.put(e.getKey(), manager.create(tensors.get(e.getKey()).data(), e.getValue()));
    }
    return new BertEncoder(config, manager, weights);
  }

  /** A freshly initialised encoder (normal(0, 0.02) weights, as BERT's pre-training starts). */
  public static BertEncoder random(BertConfig config, long seed, Device device) {
    Random r = new Random(seed);
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    expectedShapes(config)
        .forEach(
            (name, shape) -> {
              float[] data = new float[(int) shape.size()];
              if (name.endsWith("LayerNorm.weight")) {
                java.util.Arrays.fill(data, 1f);
              } else if (!name.endsWith(".bias")) {
                for (int i = 0; i < data.length; i++) {
                  data[i] = (float) (r.nextGaussian() * 0.02);
                }
              }
              tensors.put(name, new Tensor(shape.getShape(), data));
            });
    return of(config, tensors, java.util.Set.of(), device, "random init");
  }

  /**
   * A smaller encoder made of some of this one's layers, in the order given (the "compress" step of
   * distillation: a student initialised from chosen teacher layers, e.g. every third); the
   * embeddings are copied whole. This encoder is unchanged.
   *
   * @param layers indexes of this encoder's layers, each at most once
   * @throws IllegalArgumentException if an index is out of range or repeated, or none is given
   */
  public BertEncoder pruned(List<Integer> layers, Device device) {
    if (layers.isEmpty()
        || layers.stream().distinct().count() != layers.size()
        || layers.stream().anyMatch(i -> i < 0 || i >= config.layers())) {
      throw new IllegalArgumentException(
          "layers: expected distinct indexes from 0 to "
              + (config.layers() - 1)
              + " (the model has "
              + config.layers()
              + "), was "
              + layers);
    }
    Map<String, Tensor> all = toTensors();
    Map<String, Tensor> kept = new LinkedHashMap<>();
    all.forEach(
        (name, t) -> {
          if (!name.startsWith("encoder.layer.")) {
            kept.put(name, t);
          }
        });
    for (int to = 0; to < layers.size(); to++) {
      String from = "encoder.layer." + layers.get(to) + ".";
      String renamed = "encoder.layer." + to + ".";
      all.forEach(
          (name, t) -> {
            if (name.startsWith(from)) {
              kept.put(renamed + name.substring(from.length()), t);
            }
          });
    }
    BertConfig c =
        new BertConfig(
            config.vocabSize(),
            config.hiddenSize(),
            layers.size(),
            config.heads(),
            config.intermediateSize(),
            config.maxPositions(),
            config.typeVocabSize(),
            config.layerNormEps());
    return of(c, kept, java.util.Set.of(), device, "layers " + layers + " of the teacher");
  }

  /** The architecture. */
  public BertConfig config() {
    return config;
  }

  /** The manager owning the weights (and the device they are on). */
  public NDManager manager() {
    return manager;
  }

  /** The weights by Hugging Face name (live arrays: training updates them in place). */
  public Map<String, NDArray> weights() {
    return weights;
  }

  /** A copy of the weights as plain tensors, for saving. */
  public Map<String, Tensor> toTensors() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    weights.forEach((n, a) -> out.put(n, new Tensor(a.getShape().getShape(), a.toFloatArray())));
    return out;
  }

  /**
   * The last hidden state, [batch, sequence, hidden].
   *
   * @param ids token ids [batch, sequence], int64
   * @param mask 1 for tokens, 0 for padding, [batch, sequence]
   * @param types token type ids [batch, sequence]
   * @param training whether dropout applies
   */
  public NDArray forward(NDArray ids, NDArray mask, NDArray types, boolean training) {
    long batch = ids.getShape().get(0);
    long seq = ids.getShape().get(1);
    int h = config.hiddenSize();
    Shape norm = new Shape(h);
    float eps = (float) config.layerNormEps();
    NDManager m = ids.getManager();
    NDArray positions = m.arange(0, (int) seq, 1, DataType.INT64);
    NDArray x =
        embed(ids, "embeddings.word_embeddings.weight")
            .add(embed(positions, "embeddings.position_embeddings.weight"))
            .add(embed(types, "embeddings.token_type_embeddings.weight"));
    x =
        LayerNorm.layerNorm(
                x, norm, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), eps)
            .singletonOrThrow();
    x = dropout(x, training);
    // Padding gets a large negative score before the softmax, as in Hugging Face.
    NDArray maskBias =
        mask.toType(DataType.FLOAT32, false).neg().add(1f).mul(-1e9f).reshape(batch, 1, 1, seq);
    int heads = config.heads();
    int d = config.headSize();
    float scale = (float) (1 / Math.sqrt(d));
    for (int i = 0; i < config.layers(); i++) {
      String p = "encoder.layer." + i + ".";
      NDArray q = split(linear(x, p + "attention.self.query", training), batch, seq, heads, d);
      NDArray k = split(linear(x, p + "attention.self.key", training), batch, seq, heads, d);
      NDArray v = split(linear(x, p + "attention.self.value", training), batch, seq, heads, d);
      // Not mul(scale): the graph keeps the factor (see Autograd.constant).
      NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
      scores = scores.mul(Autograd.constant(scores, scale)).add(maskBias);
      NDArray probs = dropout(scores.softmax(-1), training);
      NDArray context = probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, seq, h);
      NDArray attended = dropout(linear(context, p + "attention.output.dense", training), training);
      x =
          LayerNorm.layerNorm(
                  attended.add(x),
                  norm,
                  w(p + "attention.output.LayerNorm.weight"),
                  w(p + "attention.output.LayerNorm.bias"),
                  eps)
              .singletonOrThrow();
      NDArray inner = Activation.gelu(linear(x, p + "intermediate.dense", training));
      NDArray out = dropout(linear(inner, p + "output.dense", training), training);
      x =
          LayerNorm.layerNorm(
                  out.add(x),
                  norm,
                  w(p + "output.LayerNorm.weight"),
                  w(p + "output.LayerNorm.bias"),
                  eps)
              .singletonOrThrow();
    }
    return x;
  }

  /** The first token's hidden state ([CLS]), [batch, hidden]: BGE's and BERT's pooling. */
  public static NDArray clsPool(NDArray hidden) {
    return hidden.get(":, 0, :");
  }

  /**
   * Mean of the token vectors over real tokens (sentence-transformers pooling), [batch, hidden].
   */
  public static NDArray meanPool(NDArray hidden, NDArray mask) {
    NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(-1);
    return hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
  }

  /** Rows scaled to unit length. */
  public static NDArray normalize(NDArray x) {
    NDArray norm = x.norm(new int[] {-1}, true);
    return x.div(norm.maximum(Autograd.constant(norm, 1e-12f))); // see Autograd.constant
  }

  private NDArray w(String name) {
    return weights.get(name);
  }

  private NDArray embed(NDArray ids, String weight) {
    return Embedding.embedding(ids, w(weight), SparseFormat.DENSE).singletonOrThrow();
  }

  private NDArray linear(NDArray x, String layer, boolean training) {
    NDArray y = Linear.linear(x, w(layer + ".weight"), w(layer + ".bias")).singletonOrThrow();
    NDArray delta = lora == null ? null : lora.delta(x, layer, training);
    return delta == null ? y : y.add(delta);
  }

  /**
   * Puts LoRA adapters beside this encoder's layers: {@link #forward} then adds them, and only they
   * should be trained (see {@link LoraAdapters}).
   */
  public void attach(LoraAdapters adapters) {
    this.lora = adapters;
  }

  /** The adapters beside this encoder, if any. */
  public java.util.Optional<LoraAdapters> lora() {
    return java.util.Optional.ofNullable(lora);
  }

  /**
   * Merges the adapters into the weights and takes them away: the encoder then computes what it
   * computed with them, as an ordinary encoder (what is saved and exported).
   */
  public void mergeLora() {
    if (lora == null) {
      return;
    }
    lora.merged(weights)
        .forEach((name, t) -> weights.get(name).set(java.nio.FloatBuffer.wrap(t.data())));
    lora = null;
  }

  private static NDArray split(NDArray x, long batch, long seq, int heads, int d) {
    return x.reshape(batch, seq, heads, d).transpose(0, 2, 1, 3);
  }

  private static NDArray dropout(NDArray x, boolean training) {
    return training ? Dropout.dropout(x, DROPOUT, true).singletonOrThrow() : x;
  }

  @Override
  public void close() {
    manager.close();
  }
}
