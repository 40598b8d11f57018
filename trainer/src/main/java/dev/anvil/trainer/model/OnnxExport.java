package dev.anvil.trainer.model;

import com.google.protobuf.ByteString;
import dev.anvil.trainer.onnx.proto.Onnx;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * Writes a BERT encoder as an ONNX model of standard operators at opset {@value #OPSET} (IR version
 * {@value #IR_VERSION}), the way Hugging Face exports look, so any ONNX runtime serves it and
 * {@link OnnxWeights} reads it back.
 *
 * <p>Inputs {@code input_ids}, {@code attention_mask}, {@code token_type_ids} (int64, [batch,
 * sequence]); output {@code last_hidden_state} (float, [batch, sequence, hidden]), to be
 * mean-pooled by the caller as the context engine does. Linear layers are a MatMul by the
 * transposed weight (an anonymous {@code onnx::MatMul_*} initializer) and an Add of the named bias;
 * LayerNormalization, Softmax and an exact erf GELU follow {@link BertEncoder#forward} step by
 * step.
 */
public final class OnnxExport {
  /** ONNX operator set: 17 is the first with LayerNormalization. */
  public static final int OPSET = 17;

  public static final int IR_VERSION = 8;

  private static final int FLOAT = Onnx.TensorProto.DataType.FLOAT_VALUE;
  private static final int INT64 = Onnx.TensorProto.DataType.INT64_VALUE;

  private final BertConfig config;
  private final Onnx.GraphProto.Builder graph = Onnx.GraphProto.newBuilder().setName("encoder");
  private int nodes;

  private OnnxExport(BertConfig config) {
    this.config = config;
  }

  /**
   * Writes {@code weights} (Hugging Face names, as {@link BertEncoder#toTensors}) to {@code file}
   * atomically, with {@code metadata} (e.g. the model's id and lineage) as model properties.
   */
  public static void write(
      BertConfig config, Map<String, Tensor> weights, Map<String, String> metadata, Path file)
      throws IOException {
    Onnx.ModelProto model = new OnnxExport(config).build(weights, metadata);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      model.writeTo(out);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private Onnx.ModelProto build(Map<String, Tensor> w, Map<String, String> metadata) {
    for (String input : List.of("input_ids", "attention_mask", "token_type_ids")) {
      graph.addInput(value(input, INT64, "batch", "sequence"));
    }
    graph.addOutput(value("last_hidden_state", FLOAT, "batch", "sequence", config.hiddenSize()));
    int h = config.hiddenSize();
    int d = config.headSize();

    // Embeddings: words + positions 0..sequence-1 + token types, then LayerNorm.
    String seq = node("Gather", "", List.of(node("Shape", "", List.of("input_ids")), scalar(1L)));
    String positions = node("Range", "", List.of(scalar(0L), seq, scalar(1L)));
    String x =
        node(
            "Add",
            "",
            List.of(
                node(
                    "Add",
                    "",
                    List.of(
                        gather(w, "embeddings.word_embeddings.weight", "input_ids"),
                        gather(w, "embeddings.position_embeddings.weight", positions))),
                gather(w, "embeddings.token_type_embeddings.weight", "token_type_ids")));
    x = layerNorm(w, "embeddings.LayerNorm", x);

    // (1 - mask) * -1e9, as [batch, 1, 1, sequence]: padding gets no attention.
    String mask =
        node(
            "Mul",
            "",
            List.of(
                node(
                    "Sub",
                    "",
                    List.of(
                        constant(1f),
                        node("Cast", "", List.of("attention_mask"), intAttr("to", FLOAT)))),
                constant(-1e9f)));
    String maskBias = node("Unsqueeze", "", List.of(mask, ints(1, 2)));

    for (int i = 0; i < config.layers(); i++) {
      String p = "encoder.layer." + i + ".";
      String q = heads(linear(w, p + "attention.self.query", x), d, new long[] {0, 2, 1, 3});
      String kT = heads(linear(w, p + "attention.self.key", x), d, new long[] {0, 2, 3, 1});
      String v = heads(linear(w, p + "attention.self.value", x), d, new long[] {0, 2, 1, 3});
      String scores =
          node(
              "Div",
              "/encoder/layer." + i + "/attention/self/Div",
              List.of(node("MatMul", "", List.of(q, kT)), constant((float) Math.sqrt(d))));
      String probs =
          node(
              "Softmax",
              "",
              List.of(node("Add", "", List.of(scores, maskBias))),
              intAttr("axis", -1));
      String context =
          node(
              "Reshape",
              "",
              List.of(
                  node(
                      "Transpose",
                      "",
                      List.of(node("MatMul", "", List.of(probs, v))),
                      intsAttr("perm", 0, 2, 1, 3)),
                  ints(0, 0, h)));
      String attended = linear(w, p + "attention.output.dense", context);
      x = layerNorm(w, p + "attention.output.LayerNorm", node("Add", "", List.of(attended, x)));
      String inner = gelu(linear(w, p + "intermediate.dense", x));
      String out = linear(w, p + "output.dense", inner);
      x = layerNorm(w, p + "output.LayerNorm", node("Add", "", List.of(out, x)));
    }
    graph.addNode(
        Onnx.NodeProto.newBuilder()
            .setOpType("Identity")
            .setName("output")
            .addInput(x)
            .addOutput("last_hidden_state"));

    Onnx.ModelProto.Builder model =
        Onnx.ModelProto.newBuilder()
            .setIrVersion(IR_VERSION)
            .setProducerName("anvil")
            .setProducerVersion("0.1")
            .setGraph(graph)
            .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
    metadata.forEach(
        (k, val) ->
            model.addMetadataProps(
                Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(val)));
    return model.build();
  }

  private String gather(Map<String, Tensor> w, String table, String indices) {
    return node("Gather", "", List.of(initializer(table, require(w, table)), indices));
  }

  /** {@code x W^T + b}: MatMul by the transposed weight (anonymous), Add of the named bias. */
  private String linear(Map<String, Tensor> w, String layer, String x) {
    String weight = initializer("onnx::MatMul_" + layer, require(w, layer + ".weight").transpose());
    String bias = initializer(layer + ".bias", require(w, layer + ".bias"));
    return node("Add", "", List.of(node("MatMul", "", List.of(x, weight)), bias));
  }

  /** [batch, sequence, hidden] to [batch, heads, …] in the order {@code perm} gives. */
  private String heads(String x, int headSize, long[] perm) {
    String split = node("Reshape", "", List.of(x, ints(0, 0, config.heads(), headSize)));
    return node("Transpose", "", List.of(split), intsAttr("perm", perm));
  }

  private String layerNorm(Map<String, Tensor> w, String name, String x) {
    return node(
        "LayerNormalization",
        "",
        List.of(
            x,
            initializer(name + ".weight", require(w, name + ".weight")),
            initializer(name + ".bias", require(w, name + ".bias"))),
        Onnx.AttributeProto.newBuilder()
            .setName("epsilon")
            .setType(1)
            .setF((float) config.layerNormEps())
            .build(),
        intAttr("axis", -1));
  }

  /** The exact GELU: x · ½ · (1 + erf(x / √2)). */
  private String gelu(String x) {
    String erf =
        node("Erf", "", List.of(node("Div", "", List.of(x, constant((float) Math.sqrt(2))))));
    return node(
        "Mul",
        "",
        List.of(
            node("Mul", "", List.of(x, node("Add", "", List.of(erf, constant(1f))))),
            constant(0.5f)));
  }

  private static Tensor require(Map<String, Tensor> w, String name) {
    Tensor t = w.get(name);
    if (t == null) {
      throw new ModelFormatException("cannot export: no tensor " + name);
    }
    return t;
  }

  private String node(String op, String name, List<String> inputs, Onnx.AttributeProto... attrs) {
    String output = "/" + op + "_" + nodes++;
    Onnx.NodeProto.Builder n =
        Onnx.NodeProto.newBuilder()
            .setOpType(op)
            .setName(name.isEmpty() ? output : name)
            .addAllInput(inputs)
            .addOutput(output);
    for (Onnx.AttributeProto a : attrs) {
      n.addAttribute(a);
    }
    graph.addNode(n);
    return output;
  }

  private String initializer(String name, Tensor t) {
    ByteBuffer raw = ByteBuffer.allocate(t.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(t.data());
    graph.addInitializer(
        Onnx.TensorProto.newBuilder()
            .setName(name)
            .setDataType(FLOAT)
            .addAllDims(java.util.Arrays.stream(t.shape()).boxed().toList())
            .setRawData(ByteString.copyFrom(raw.array())));
    return name;
  }

  /** A float scalar as a Constant node (as exporters write the attention scale). */
  private String constant(float value) {
    ByteBuffer raw = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
    return node(
        "Constant",
        "",
        List.of(),
        Onnx.AttributeProto.newBuilder()
            .setName("value")
            .setType(4)
            .setT(
                Onnx.TensorProto.newBuilder()
                    .setDataType(FLOAT)
                    .setRawData(ByteString.copyFrom(raw.array())))
            .build());
  }

  private String scalar(long value) {
    String name = "const_" + nodes++;
    graph.addInitializer(
        Onnx.TensorProto.newBuilder().setName(name).setDataType(INT64).addInt64Data(value));
    return name;
  }

  private String ints(long... values) {
    String name = "const_" + nodes++;
    graph.addInitializer(
        Onnx.TensorProto.newBuilder()
            .setName(name)
            .setDataType(INT64)
            .addDims(values.length)
            .addAllInt64Data(java.util.Arrays.stream(values).boxed().toList()));
    return name;
  }

  private static Onnx.AttributeProto intAttr(String name, long value) {
    return Onnx.AttributeProto.newBuilder().setName(name).setType(2).setI(value).build();
  }

  private static Onnx.AttributeProto intsAttr(String name, long... values) {
    return Onnx.AttributeProto.newBuilder()
        .setName(name)
        .setType(7)
        .addAllInts(java.util.Arrays.stream(values).boxed().toList())
        .build();
  }

  private static Onnx.ValueInfoProto value(String name, int type, Object... dims) {
    Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
    for (Object dim : dims) {
      shape.addDim(
          dim instanceof Integer n
              ? Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(n)
              : Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam((String) dim));
    }
    return Onnx.ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            Onnx.TypeProto.newBuilder()
                .setTensorType(
                    Onnx.TypeProto.Tensor.newBuilder().setElemType(type).setShape(shape)))
        .build();
  }
}
