package dev.anvil.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.anvil.trainer.FreedMemory;
import dev.anvil.trainer.MiniLm;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.BertEncoder;
import dev.anvil.trainer.model.EncoderModel;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A step's gradients are a function of the weights, the batch and the seed, not of when the garbage
 * collector runs: a job resumed in a new process must take the same steps as one never stopped.
 * They once were not: the graph kept constants whose memory a collection between forward and
 * backward freed, and runs of the same job drifted apart from whichever step that happened at.
 */
class TaskGradientsTest {
  private static Map<String, float[]> gradients(
      EncoderModel model, Task task, List<Example> batch, boolean collectGarbage) {
    Map<String, NDArray> params = new LinkedHashMap<>(model.encoder().weights());
    model.encoder().lora().ifPresent(a -> params.putAll(a.weights()));
    params.putAll(task.headWeights());
    params.values().forEach(p -> p.setRequiresGradient(true));
    Engine.getInstance().setRandomSeed(11); // the same dropout masks both times
    Map<String, float[]> out = new LinkedHashMap<>();
    try (NDScope scope = new NDScope();
        NDManager m = model.encoder().manager().newSubManager()) {
      try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
        NDArray loss = task.loss(batch, m);
        List<ByteBuffer> nan = collectGarbage ? FreedMemory.scribble() : List.of();
        c.backward(loss);
        Reference.reachabilityFence(nan);
      }
      params.forEach((name, p) -> out.put(name, p.getGradient().toFloatArray()));
      Gradients.zero(params);
    }
    return out;
  }

  private static void assertSameGradientsWhenGarbageIsCollected(
      EncoderModel model, Task task, List<Example> batch) {
    Map<String, float[]> quiet = gradients(model, task, batch, false);
    Map<String, float[]> collected = gradients(model, task, batch, true);
    assertThat(collected.keySet()).isEqualTo(quiet.keySet());
    List<String> differ = new ArrayList<>();
    quiet.forEach(
        (name, g) -> {
          float[] c = collected.get(name);
          int n = 0;
          for (int i = 0; i < g.length; i++) {
            n += Float.floatToIntBits(g[i]) == Float.floatToIntBits(c[i]) ? 0 : 1;
          }
          if (n > 0) {
            differ.add(name + " (" + n + " of " + g.length + " values)");
          }
        });
    assertThat(differ).as("gradients changed by a garbage collection").isEmpty();
  }

  private static EncoderModel tiny() {
    return EncoderModel.of(
        BertEncoder.random(TinyModels.CONFIG, 7, Device.cpu()), MiniLm.tokenizer(), 32);
  }

  @Test
  void embeddingGradientsDoNotDependOnWhenGarbageIsCollected() {
    try (EncoderModel model = tiny()) {
      assertSameGradientsWhenGarbageIsCollected(
          model, new EmbeddingTask(model, 20), TinyModels.pairs().subList(0, 8));
    }
  }

  @Test
  void classifierGradientsDoNotDependOnWhenGarbageIsCollected() {
    List<Example> labeled = TinyModels.labeled();
    List<String> labels =
        labeled.stream().map(e -> ((Example.Labeled) e).label()).distinct().sorted().toList();
    try (EncoderModel model = tiny()) {
      assertSameGradientsWhenGarbageIsCollected(
          model, new ClassifierTask(model, labels, 3), labeled.subList(0, 8));
    }
  }

  @Test
  void loraAndDistillationGradientsDoNotDependOnWhenGarbageIsCollected() {
    List<Example> batch = TinyModels.pairs().subList(0, 8);
    try (EncoderModel model = tiny();
        EncoderModel teacher =
            EncoderModel.of(
                BertEncoder.random(TinyModels.CONFIG, 8, Device.cpu()), MiniLm.tokenizer(), 32)) {
      model
          .encoder()
          .attach(
              dev.anvil.trainer.model.LoraAdapters.init(
                  TinyModels.CONFIG,
                  new dev.anvil.trainer.model.LoraAdapters.Settings(
                      4, 8, 0, List.of("query", "value")),
                  3,
                  model.encoder().manager()));
      assertSameGradientsWhenGarbageIsCollected(model, new EmbeddingTask(model, 20), batch);
      assertSameGradientsWhenGarbageIsCollected(
          model,
          new DistillTask(
              model, DistillTask.teach(teacher, batch), DistillTask.Loss.MSE, 1, Map.of()),
          batch);
    }
  }
}
