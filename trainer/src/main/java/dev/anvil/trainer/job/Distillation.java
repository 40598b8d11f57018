package dev.anvil.trainer.job;

import ai.djl.Device;
import dev.anvil.trainer.data.DatasetException;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.train.DistillTask;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The setup of a {@code task: distill} job: the teacher embeds every text of the job once and is
 * closed before training starts (only its vectors stay in memory); the student is the base model,
 * or a copy of some of the teacher's layers.
 */
final class Distillation {
  private Distillation() {}

  /** The student and what it learns. */
  record Student(EncoderModel model, DistillTask task) {}

  /**
   * @param examples every example of the job (the teacher embeds them all)
   * @param train those it trains on (MarginMSE scales the teacher's margins on them)
   * @param load loads a model of the spec (the teacher, or the base model)
   * @param log where progress is told
   */
  static Student prepare(
      JobSpec spec,
      List<Example> examples,
      List<Example> train,
      Function<JobSpec.BaseModel, EncoderModel> load,
      Device device,
      Consumer<String> log) {
    JobSpec.Distill d = spec.distill().orElseThrow();
    Map<String, float[]> vectors;
    EncoderModel student;
    int teacherLayers;
    try (EncoderModel teacher = load.apply(d.teacher())) {
      teacherLayers = teacher.encoder().config().layers();
      long start = System.nanoTime();
      vectors = DistillTask.teach(teacher, examples);
      log.accept(
          String.format(
              "the teacher (%d layers, %s pooling) embedded %d texts in %.1f s",
              teacherLayers,
              teacher.pooling().name().toLowerCase(java.util.Locale.ROOT),
              vectors.size(),
              (System.nanoTime() - start) / 1e9));
      student = d.layers().isEmpty() ? null : teacher.pruned(d.layers(), device);
    }
    if (student == null) {
      student = load.apply(spec.baseModel());
    }
    Map<String, Object> card = new LinkedHashMap<>();
    card.put("teacher", Map.of("model", d.teacher().describe(), "layers", teacherLayers));
    if (!d.layers().isEmpty()) {
      card.put("student_layers_from_teacher", d.layers());
    }
    DistillTask.Loss loss = DistillTask.Loss.valueOf(d.loss().name());
    double scale = 1;
    if (d.scaleMargins()) {
      scale = DistillTask.marginScale(student, vectors, train);
      log.accept(
          String.format("the teacher's margins are scaled by %.3f to the student's spread", scale));
    }
    try {
      return new Student(student, new DistillTask(student, vectors, loss, scale, card));
    } catch (IllegalArgumentException e) {
      student.close();
      throw new DatasetException(List.of(e.getMessage()));
    }
  }

  /**
   * MarginMSE learns from hard negatives: every pair needs one.
   *
   * @throws DatasetException naming the pairs without one
   */
  static void requireNegatives(List<Example> examples) {
    List<String> without =
        examples.stream()
            .filter(e -> e instanceof Example.Pair p && p.negative().isEmpty())
            .map(Example::where)
            .toList();
    if (!without.isEmpty()) {
      throw new DatasetException(
          List.of(
              "distill.loss margin_mse needs a hard negative in every pair; "
                  + without.size()
                  + " have none, e.g. "
                  + without.subList(0, Math.min(5, without.size()))));
    }
  }
}
