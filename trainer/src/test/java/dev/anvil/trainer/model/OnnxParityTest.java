package dev.anvil.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.anvil.eval.ExactSearch;
import dev.anvil.trainer.MiniLm;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 imported from its ONNX file into our DJL encoder computes what ONNX Runtime
 * computes from the same file, to 1e-4, token by token; saved as a Hugging Face directory and
 * loaded back it is the same model.
 */
class OnnxParityTest {
  static final List<String> TEXTS =
      List.of(
          "A man is eating food.",
          "A man is eating a piece of bread.",
          "The girl is carrying a baby.",
          "Encryption keys rotate every ninety days unless the security team grants an exception in writing.",
          "");

  static EncoderModel model;

  @BeforeAll
  static void load() {
    model = EncoderModel.fromOnnx(MiniLm.onnx(), MiniLm.tokenizer(), Device.cpu(), 128);
  }

  @AfterAll
  static void close() {
    model.close();
  }

  @Test
  void theArchitectureIsReadFromTheGraph() {
    assertThat(model.encoder().config())
        .isEqualTo(new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12));
  }

  @Test
  void lastHiddenStatesEqualOnnxRuntimes() throws Exception {
    try (NDManager m = model.encoder().manager().newSubManager()) {
      EncoderModel.Batch b = model.tokenize(TEXTS, m);
      float[] ours = model.encoder().forward(b.ids(), b.mask(), b.types(), false).toFloatArray();
      long[] shape = b.ids().getShape().getShape();
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession s =
          env.createSession(MiniLm.onnx().toString(), new OrtSession.SessionOptions())) {
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put(
            "input_ids",
            OnnxTensor.createTensor(env, LongBuffer.wrap(b.ids().toLongArray()), shape));
        in.put(
            "attention_mask",
            OnnxTensor.createTensor(env, LongBuffer.wrap(b.mask().toLongArray()), shape));
        in.put(
            "token_type_ids",
            OnnxTensor.createTensor(env, LongBuffer.wrap(b.types().toLongArray()), shape));
        try (OrtSession.Result r = s.run(in)) {
          float[][][] theirs = (float[][][]) r.get(0).getValue();
          long[] mask = b.mask().toLongArray();
          int seq = (int) shape[1];
          double worst = 0;
          for (int i = 0; i < theirs.length; i++) {
            for (int t = 0; t < seq; t++) {
              if (mask[i * seq + t] == 0) {
                continue; // padding: neither model's output there means anything
              }
              for (int k = 0; k < 384; k++) {
                worst = Math.max(worst, Math.abs(theirs[i][t][k] - ours[(i * seq + t) * 384 + k]));
              }
            }
          }
          System.out.printf("max |ours - onnxruntime| over real tokens: %.2e%n", worst);
          assertThat(worst).isLessThanOrEqualTo(1e-4);
        }
        in.values().forEach(OnnxTensor::close);
      }
    }
  }

  @Test
  void sentenceEmbeddingsAreMiniLms() {
    float[][] e = model.embed(TEXTS.subList(0, 3), 8);
    assertThat(ExactSearch.dot(e[0], e[1]))
        .isCloseTo(0.7553, org.assertj.core.data.Offset.offset(1e-3));
    assertThat(ExactSearch.dot(e[0], e[2]))
        .isCloseTo(-0.1050, org.assertj.core.data.Offset.offset(1e-3));
  }

  @Test
  void savedAsAHuggingFaceDirectoryItLoadsBackTheSame(@TempDir Path dir) throws Exception {
    model.saveHuggingFace(dir, Map.of());
    try (EncoderModel back = EncoderModel.fromHuggingFace(dir, Device.cpu(), 128)) {
      float[][] a = model.embed(TEXTS, 8);
      float[][] b = back.embed(TEXTS, 8);
      for (int i = 0; i < a.length; i++) {
        assertThat(b[i]).containsExactly(a[i]);
      }
    }
  }

  @Test
  void missingAndUnknownTensorsAreNamed(@TempDir Path dir) throws Exception {
    model.saveHuggingFace(dir, Map.of());
    Map<String, Tensor> tensors = new HashMap<>(Safetensors.read(dir.resolve("model.safetensors")));
    tensors.remove("encoder.layer.3.output.dense.weight");
    tensors.put("encoder.layer.3.output.extra.weight", new Tensor(new long[] {2}, new float[2]));
    Safetensors.write(dir.resolve("model.safetensors"), tensors);
    assertThatThrownBy(() -> EncoderModel.fromHuggingFace(dir, Device.cpu(), 128))
        .isInstanceOf(ModelFormatException.class)
        .hasMessageContaining("missing [encoder.layer.3.output.dense.weight]")
        .hasMessageContaining("unknown [encoder.layer.3.output.extra.weight]")
        .hasMessageContaining("model.safetensors");
  }
}
