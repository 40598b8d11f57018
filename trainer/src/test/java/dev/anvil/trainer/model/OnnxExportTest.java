package dev.anvil.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.anvil.trainer.MiniLm;
import dev.anvil.trainer.TinyModels;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An encoder exported to ONNX: ONNX Runtime on the file computes what DJL computes on the same
 * weights, the ONNX checker accepts it, and our importer reads the same weights back.
 */
class OnnxExportTest {
  /** Debian's interpreter: python3 on PATH may be another build without Debian's modules. */
  static final String PYTHON = "/usr/bin/python3";

  static final String MISSING_CHECKER =
      "the ONNX reference checker is missing: run scripts/system-deps.sh (it installs Debian's"
          + " python3-onnx) and run the test again";

  static final List<String> TEXTS =
      List.of(
          "Drain the node before the kernel upgrade.",
          "Salary bands are reviewed every spring by the compensation committee.",
          "");

  /** Max |DJL − ONNX Runtime| over real tokens of {@link #TEXTS}. */
  static double worstDifference(EncoderModel model, Path onnx) throws Exception {
    try (NDManager m = model.encoder().manager().newSubManager()) {
      EncoderModel.Batch b = model.tokenize(TEXTS, m);
      float[] ours = model.encoder().forward(b.ids(), b.mask(), b.types(), false).toFloatArray();
      long[] shape = b.ids().getShape().getShape();
      int h = model.encoder().config().hiddenSize();
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      try (OrtSession s = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
        assertThat(s.getInputNames())
            .containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
        assertThat(s.getOutputNames()).containsExactly("last_hidden_state");
        Map<String, OnnxTensor> in = new HashMap<>();
        in.put("input_ids", tensor(env, b.ids().toLongArray(), shape));
        in.put("attention_mask", tensor(env, b.mask().toLongArray(), shape));
        in.put("token_type_ids", tensor(env, b.types().toLongArray(), shape));
        try (OrtSession.Result r = s.run(in)) {
          float[][][] theirs = (float[][][]) r.get(0).getValue();
          long[] mask = b.mask().toLongArray();
          int seq = (int) shape[1];
          double worst = 0;
          for (int i = 0; i < theirs.length; i++) {
            for (int t = 0; t < seq; t++) {
              if (mask[i * seq + t] != 0) {
                for (int k = 0; k < h; k++) {
                  worst = Math.max(worst, Math.abs(theirs[i][t][k] - ours[(i * seq + t) * h + k]));
                }
              }
            }
          }
          return worst;
        } finally {
          in.values().forEach(OnnxTensor::close);
        }
      }
    }
  }

  private static OnnxTensor tensor(OrtEnvironment env, long[] values, long[] shape)
      throws Exception {
    return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
  }

  @Test
  void miniLmExportedRunsInOnnxRuntimeAsInDjl(@TempDir Path dir) throws Exception {
    try (EncoderModel model =
        EncoderModel.fromOnnx(MiniLm.onnx(), MiniLm.tokenizer(), Device.cpu(), 128)) {
      Path onnx = model.exportOnnx(dir, Map.of("anvil.model", "test"));
      double worst = worstDifference(model, onnx);
      System.out.printf("exported MiniLM: max |DJL - onnxruntime| %.2e%n", worst);
      assertThat(worst).isLessThanOrEqualTo(1e-4);
      assertThat(dir.resolve("tokenizer.json")).isRegularFile();

      // Read back by our importer, with no config.json: the same weights and architecture.
      OnnxWeights.Imported back = OnnxWeights.read(onnx);
      assertThat(back.config()).isEqualTo(model.encoder().config());
      Map<String, Tensor> original = model.encoder().toTensors();
      assertThat(back.tensors().keySet()).isEqualTo(original.keySet());
      original.forEach(
          (k, t) ->
              assertThat(java.util.Arrays.equals(back.tensors().get(k).data(), t.data()))
                  .as(k)
                  .isTrue()); // (AssertJ's containsExactly is quadratic on 23M floats)
    }
  }

  @Test
  void theOnnxCheckerAcceptsTheExport(@TempDir Path dir) throws Exception {
    TinyModels.huggingFaceDir(dir.resolve("tiny"));
    try (EncoderModel model = EncoderModel.fromHuggingFace(dir.resolve("tiny"), Device.cpu(), 32)) {
      Path onnx = model.exportOnnx(dir.resolve("out"), Map.of());
      assertThat(worstDifference(model, onnx)).isLessThanOrEqualTo(1e-4);
      // Debian's python3-onnx (1.12, opsets to 17): the reference checker, with shape inference
      // (full_check). scripts/system-deps.sh (run by ./test) installs it; without it this fails.
      if (!Files.exists(Path.of(PYTHON))) {
        fail(MISSING_CHECKER);
      }
      Process p =
          new ProcessBuilder(
                  PYTHON,
                  "-c",
                  "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]),"
                      + " full_check=True); print('ok', onnx.load(sys.argv[1]).opset_import)",
                  onnx.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
      if (out.contains("No module named 'onnx'")) {
        fail(MISSING_CHECKER);
      }
      assertThat(p.exitValue()).as("onnx.checker: %s", out).isZero();
      assertThat(out).startsWith("ok").contains("version: " + OnnxExport.OPSET);
      assertThat(Files.size(onnx)).isGreaterThan(1000);
    }
  }
}
