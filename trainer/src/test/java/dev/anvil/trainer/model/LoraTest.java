package dev.anvil.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.anvil.trainer.MiniLm;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoRA on all-MiniLM-L6-v2: fresh adapters change nothing (B is zero); trained ones (here: random
 * B) merged into the weights and exported to ONNX compute, through ONNX Runtime, what the unmerged
 * encoder computes with its adapters, to a cosine of 0.9999; saved alone they read back the same.
 */
class LoraTest {
  static final List<String> TEXTS =
      List.of(
          "A man is eating food.",
          "Encryption keys rotate every ninety days unless security grants an exception.",
          "The girl is carrying a baby.");

  @TempDir Path dir;

  static EncoderModel minilm() {
    return EncoderModel.fromOnnx(MiniLm.onnx(), MiniLm.tokenizer(), Device.cpu(), 128);
  }

  static LoraAdapters adapters(EncoderModel m, LoraAdapters.Settings s) {
    return LoraAdapters.init(m.encoder().config(), s, 3, m.encoder().manager());
  }

  /** Gives every B random values, as training would: the adapters then change the model. */
  static void train(LoraAdapters a) {
    Random r = new Random(11);
    for (Map.Entry<String, NDArray> e : a.weights().entrySet()) {
      if (e.getKey().endsWith("lora_B")) {
        float[] v = new float[(int) e.getValue().getShape().size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (r.nextGaussian() * 0.05);
        }
        e.getValue().set(FloatBuffer.wrap(v));
      }
    }
  }

  static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void freshAdaptersChangeNothingAndOnlyTheyAreCounted() {
    try (EncoderModel m = minilm()) {
      float[][] before = m.embed(TEXTS, 8);
      LoraAdapters a = adapters(m, LoraAdapters.Settings.DEFAULTS);
      m.encoder().attach(a);
      float[][] after = m.embed(TEXTS, 8);
      for (int i = 0; i < before.length; i++) {
        assertThat(after[i]).containsExactly(before[i]);
      }
      // 6 layers x (query, value) x (A: 8 x 384 + B: 384 x 8)
      assertThat(a.size()).isEqualTo(6 * 2 * (8 * 384 + 384 * 8));
    }
  }

  @Test
  void mergedAndExportedToOnnxItComputesWhatTheAdaptersDo() throws Exception {
    try (EncoderModel m = minilm()) {
      LoraAdapters a =
          adapters(
              m,
              new LoraAdapters.Settings(
                  4, 8, 0.1, List.of("query", "value", "intermediate.dense")));
      train(a);
      m.encoder().attach(a);
      float[][] unmerged = m.embed(TEXTS, 8);
      float[][] base;
      try (EncoderModel plain = minilm()) {
        base = plain.embed(TEXTS, 8);
      }
      assertThat(cosine(unmerged[0], base[0]))
          .as("the adapters change the model")
          .isLessThan(0.999);

      a.save(dir.resolve("adapter"));
      m.encoder().mergeLora();
      assertThat(m.encoder().lora()).isEmpty();
      Path onnx = m.exportOnnx(dir, Map.of());
      float[][] ort = onnxRuntime(m, onnx);
      for (int i = 0; i < TEXTS.size(); i++) {
        assertThat(cosine(ort[i], unmerged[i])).isGreaterThanOrEqualTo(0.9999);
      }

      // Saved alone the adapters are small, and read back the same.
      assertThat(Files.size(dir.resolve("adapter").resolve(LoraAdapters.FILE)))
          .isLessThan(Files.size(onnx) / 10);
      try (EncoderModel again = minilm()) {
        again
            .encoder()
            .attach(LoraAdapters.read(dir.resolve("adapter"), again.encoder().manager()));
        float[][] back = again.embed(TEXTS, 8);
        for (int i = 0; i < TEXTS.size(); i++) {
          assertThat(back[i]).containsExactly(unmerged[i]);
        }
      }
    }
  }

  /** Sentence embeddings of {@link #TEXTS} from an exported model, through ONNX Runtime. */
  static float[][] onnxRuntime(EncoderModel m, Path onnx) throws Exception {
    try (NDManager nd = m.encoder().manager().newSubManager()) {
      EncoderModel.Batch b = m.tokenize(TEXTS, nd);
      long[] shape = b.ids().getShape().getShape();
      long[] mask = b.mask().toLongArray();
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession s = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put(
            "input_ids",
            OnnxTensor.createTensor(env, LongBuffer.wrap(b.ids().toLongArray()), shape));
        in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
        in.put(
            "token_type_ids",
            OnnxTensor.createTensor(env, LongBuffer.wrap(b.types().toLongArray()), shape));
        try (OrtSession.Result r = s.run(in)) {
          float[][][] hidden = (float[][][]) r.get(0).getValue();
          int seq = (int) shape[1];
          float[][] out = new float[hidden.length][hidden[0][0].length];
          for (int i = 0; i < hidden.length; i++) {
            int n = 0;
            for (int t = 0; t < seq; t++) {
              if (mask[i * seq + t] == 1) {
                n++;
                for (int k = 0; k < out[i].length; k++) {
                  out[i][k] += hidden[i][t][k];
                }
              }
            }
            for (int k = 0; k < out[i].length; k++) {
              out[i][k] /= n;
            }
          }
          return out;
        } finally {
          in.values().forEach(OnnxTensor::close);
        }
      }
    }
  }
}
