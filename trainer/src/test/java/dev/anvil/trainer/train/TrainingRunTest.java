package dev.anvil.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.anvil.trainer.MiniLm;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.BertEncoder;
import dev.anvil.trainer.model.EncoderModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunTest {
  @TempDir Path work;

  static Hyperparameters hp(int epochs) {
    return new Hyperparameters(
        epochs, 8, 1e-3, 4, Hyperparameters.Schedule.LINEAR, 0.01, 32, 42, 8, 8, 0, 0.25, 20, 1.0);
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
}
