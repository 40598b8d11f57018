package dev.anvil.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.anvil.trainer.MiniLm;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.BertEncoder;
import dev.anvil.trainer.model.EncoderModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunTest {
  @TempDir Path work;

  static Hyperparameters hp(int epochs) {
    return Hyperparameters.builder()
        .epochs(epochs)
        .batchSize(8)
        .learningRate(1e-3)
        .warmupSteps(4)
        .maxSeqLength(32)
        .evalEvery(8)
        .checkpointEvery(8)
        .holdout(0.25)
        .build();
  }

  @Test
  void contrastiveFineTuningLowersTheLossAndImprovesRetrieval() {
    List<Example> all = TinyModels.pairs();
    List<Example> train = all.subList(0, 48);
    List<Example> heldOut = all.subList(48, 64);
    try (EncoderModel model =
        EncoderModel.of(
            BertEncoder.random(TinyModels.CONFIG, 7, Device.cpu()), MiniLm.tokenizer(), 32)) {
      long t = System.nanoTime();
      TrainingRun.Result r =
          TrainingRun.run(
              new EmbeddingTask(model, 20),
              model,
              train,
              heldOut,
              hp(4),
              work,
              new TrainingRun.Listener() {},
              () -> false);
      System.out.printf("%s in %.1f s%n", r, (System.nanoTime() - t) / 1e9);
      assertThat(r.steps()).isEqualTo(24);
      assertThat(r.lastLoss()).isLessThan(r.firstLoss() * 0.7);
      assertThat(r.bestMetrics().get("ndcg@10")).isGreaterThan(r.baseMetrics().get("ndcg@10"));
    }
  }

  /** A run on the tiny encoder; {@code hp} decides the rest. */
  private TrainingRun.Result run(Hyperparameters hp, List<Integer> checkpoints) {
    List<Example> all = TinyModels.pairs();
    try (EncoderModel model =
        EncoderModel.of(
            BertEncoder.random(TinyModels.CONFIG, 7, Device.cpu()), MiniLm.tokenizer(), 32)) {
      return TrainingRun.run(
          new EmbeddingTask(model, 20),
          model,
          all.subList(0, 48),
          all.subList(48, 64),
          hp,
          work,
          new TrainingRun.Listener() {
            @Override
            public void checkpointed(int step) {
              checkpoints.add(step);
            }
          },
          () -> false);
    }
  }

  /** A learning rate so small that nothing improves: every evaluation equals the base one. */
  private static Hyperparameters.Builder stalled() {
    return Hyperparameters.builder()
        .epochs(4)
        .batchSize(8)
        .learningRate(1e-30)
        .warmupSteps(0)
        .maxSeqLength(32)
        .evalEvery(2)
        .checkpointEvery(100)
        .holdout(0.25);
  }

  @Test
  void aRunThatStopsImprovingStopsAfterItsPatienceKeepingTheBestWeights() throws Exception {
    List<Integer> checkpoints = new ArrayList<>();
    TrainingRun.Result r = run(stalled().patience(3).build(), checkpoints);

    // Evaluations at steps 2, 4 and 6 find nothing better than the base: stop at 6 of 24.
    assertThat(r.totalSteps()).isEqualTo(24);
    assertThat(r.stoppedEarly()).isTrue();
    assertThat(r.steps()).isEqualTo(6);
    assertThat(r.bestStep()).as("the base weights stay the best").isZero();
    assertThat(r.bestMetrics()).isEqualTo(r.baseMetrics());
    assertThat(checkpoints).as("a stop is checkpointed").containsExactly(6);
  }

  @Test
  void withoutPatienceARunThatStopsImprovingRunsToTheEnd() {
    TrainingRun.Result r = run(stalled().patience(0).build(), new ArrayList<>());
    assertThat(r.stoppedEarly()).isFalse();
    assertThat(r.steps()).isEqualTo(24);
  }

  @Test
  void onlyTheNewestCheckpointsAndTheBestWeightsAreKept() throws Exception {
    List<Integer> checkpoints = new ArrayList<>();
    TrainingRun.Result r =
        run(
            Hyperparameters.builder()
                .epochs(2)
                .batchSize(8)
                .learningRate(1e-3)
                .warmupSteps(2)
                .maxSeqLength(32)
                .evalEvery(2)
                .checkpointEvery(2)
                .holdout(0.25)
                .build(),
            checkpoints);

    assertThat(checkpoints).containsExactly(2, 4, 6, 8, 10, 12);
    try (var kept = java.nio.file.Files.list(work.resolve("checkpoints"))) {
      assertThat(kept.map(p -> p.getFileName().toString()).sorted())
          .as("the newest %d checkpoints", TrainingRun.KEEP_CHECKPOINTS)
          .containsExactly("step-0000010", "step-0000012");
    }
    try (var bests = java.nio.file.Files.list(work.resolve("best"))) {
      assertThat(bests.map(p -> p.getFileName().toString()))
          .as("no best older than the best")
          .containsExactly(String.format("step-%07d", r.bestStep()));
    }
  }
}
