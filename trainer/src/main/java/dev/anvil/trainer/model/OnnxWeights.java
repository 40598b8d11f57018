package dev.anvil.trainer.model;

import com.google.protobuf.CodedInputStream;
import dev.anvil.trainer.onnx.proto.Onnx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Reads the weights of a BERT-family encoder exported to ONNX (e.g. all-MiniLM-L6-v2), and its
 * architecture.
 *
 * <p>Exporters keep the names of embeddings, biases and LayerNorms but store every linear layer's
 * weight as an anonymous, transposed MatMul constant ({@code onnx::MatMul_787}, [in, out]). Each
 * one is found through the graph: the MatMul that multiplies by it feeds the Add that adds the
 * layer's named bias, so the weight is that layer's, transposed back to [out, in]. Float
 * initializers that end up with no name the encoder knows are an error that lists them.
 */
public final class OnnxWeights {
  /** Tensors an export may carry that the encoder does not use. */
  static final java.util.Set<String> IGNORABLE =
      java.util.Set.of("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias");

  /** An encoder's architecture and weights, by Hugging Face name. */
  public record Imported(BertConfig config, Map<String, Tensor> tensors) {}

  private OnnxWeights() {}

  /**
   * Reads {@code file}. The architecture comes from a {@code config.json} beside it if there is
   * one, else from the graph (sizes from the weights' shapes, the head size from the attention
   * scaling constant).
   */
  public static Imported read(Path file) {
    Onnx.ModelProto model;
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream coded = CodedInputStream.newInstance(in);
      coded.setSizeLimit(Integer.MAX_VALUE);
      model = Onnx.ModelProto.parseFrom(coded);
    } catch (IOException e) {
      throw new ModelFormatException(file + ": not a readable ONNX model: " + e.getMessage(), e);
    }
    Onnx.GraphProto g = model.getGraph();
    Map<String, Tensor> initializers = new LinkedHashMap<>();
    for (Onnx.TensorProto t : g.getInitializerList()) {
      floats(t, file).ifPresent(x -> initializers.put(t.getName(), x));
    }
    Map<String, Onnx.NodeProto> producer = new HashMap<>();
    for (Onnx.NodeProto n : g.getNodeList()) {
      n.getOutputList().forEach(o -> producer.put(o, n));
    }

    Map<String, Tensor> named = new LinkedHashMap<>();
    TreeSet<String> anonymous = new TreeSet<>();
    initializers.forEach(
        (name, t) -> {
          if (name.startsWith("onnx::") || name.startsWith("/")) {
            anonymous.add(name);
          } else {
            named.put(name, t);
          }
        });
    // Linear layers: Add(bias, MatMul(x, W)) or Add(MatMul(x, W), bias).
    for (Onnx.NodeProto add : g.getNodeList()) {
      if (!add.getOpType().equals("Add") || add.getInputCount() != 2) {
        continue;
      }
      for (int side = 0; side < 2; side++) {
        String bias = add.getInput(side);
        Onnx.NodeProto matmul = producer.get(add.getInput(1 - side));
        if (!bias.endsWith(".bias") || matmul == null || !matmul.getOpType().equals("MatMul")) {
          continue;
        }
        String weight = matmul.getInput(1);
        Tensor w = initializers.get(weight);
        if (w != null && anonymous.remove(weight)) {
          named.put(bias.substring(0, bias.length() - ".bias".length()) + ".weight", w.transpose());
        }
      }
    }
    if (!anonymous.isEmpty()) {
      throw new ModelFormatException(
          file + ": weights not used by any linear layer of the encoder: " + anonymous);
    }
    Path config = file.resolveSibling("config.json");
    BertConfig c = Files.exists(config) ? BertConfig.read(config) : inferConfig(file, g, named);
    return new Imported(c, named);
  }

  private static BertConfig inferConfig(Path file, Onnx.GraphProto g, Map<String, Tensor> w) {
    Tensor words = require(w, "embeddings.word_embeddings.weight", file);
    int hidden = (int) words.shape()[1];
    int layers = 0;
    while (w.containsKey("encoder.layer." + layers + ".attention.self.query.bias")) {
      layers++;
    }
    Map<String, Onnx.NodeProto> producer = new HashMap<>();
    for (Onnx.NodeProto n : g.getNodeList()) {
      n.getOutputList().forEach(o -> producer.put(o, n));
    }
    // Attention scores are divided by sqrt(head size).
    Integer headSize = null;
    double eps = 1e-12;
    for (Onnx.NodeProto n : g.getNodeList()) {
      if (headSize == null && n.getOpType().equals("Div") && n.getName().contains("attention")) {
        Optional<Double> c = constant(producer.get(n.getInput(1)));
        if (c.isPresent()) {
          headSize = (int) Math.round(c.get() * c.get());
        }
      }
      if (n.getOpType().equals("Sqrt")
          && producer.get(n.getInput(0)) instanceof Onnx.NodeProto a
          && a.getOpType().equals("Add")) {
        for (String in : a.getInputList()) {
          Optional<Double> c = constant(producer.get(in));
          if (c.isPresent() && c.get() < 1e-3) {
            eps = c.get();
          }
        }
      }
    }
    if (headSize == null || headSize == 0 || hidden % headSize != 0) {
      throw new ModelFormatException(
          file
              + ": cannot tell the number of attention heads from the graph; put the model's"
              + " config.json next to it");
    }
    try {
      return new BertConfig(
          (int) words.shape()[0],
          hidden,
          layers,
          hidden / headSize,
          (int) require(w, "encoder.layer.0.intermediate.dense.bias", file).shape()[0],
          (int) require(w, "embeddings.position_embeddings.weight", file).shape()[0],
          (int) require(w, "embeddings.token_type_embeddings.weight", file).shape()[0],
          eps);
    } catch (IllegalArgumentException e) {
      throw new ModelFormatException(file + ": " + e.getMessage(), e);
    }
  }

  private static Tensor require(Map<String, Tensor> w, String name, Path file) {
    Tensor t = w.get(name);
    if (t == null) {
      throw new ModelFormatException(
          file + ": no tensor " + name + "; is this a BERT-family encoder?");
    }
    return t;
  }

  private static Optional<Double> constant(Onnx.NodeProto n) {
    if (n == null || !n.getOpType().equals("Constant")) {
      return Optional.empty();
    }
    for (Onnx.AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals("value") && a.hasT()) {
        Optional<Tensor> t = floats(a.getT(), Path.of(n.getName()));
        if (t.isPresent() && t.get().data().length == 1) {
          // The shortest decimal of the float: 1e-12 stays 1e-12, not 9.99999996e-13.
          return Optional.of(Double.parseDouble(Float.toString(t.get().data()[0])));
        }
      }
    }
    return Optional.empty();
  }

  /** A float tensor's values (widened), or empty for other types (ids, shapes). */
  private static Optional<Tensor> floats(Onnx.TensorProto t, Path file) {
    if (t.getDataLocation() == 1) {
      throw new ModelFormatException(
          file
              + ": tensor "
              + t.getName()
              + " is stored outside the file (external data), which is not supported");
    }
    long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    String dtype =
        switch (t.getDataType()) {
          case 1 -> "F32";
          case 10 -> "F16";
          case 16 -> "BF16";
          default -> null;
        };
    if (dtype == null) {
      return Optional.empty();
    }
    if (t.getRawData().isEmpty()) {
      List<Float> values = new ArrayList<>(t.getFloatDataList());
      float[] data = new float[values.size()];
      for (int i = 0; i < data.length; i++) {
        data[i] = values.get(i);
      }
      return Optional.of(new Tensor(shape, data));
    }
    ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    return Optional.of(
        new Tensor(shape, Safetensors.floats(raw, dtype, file + ": " + t.getName())));
  }
}
