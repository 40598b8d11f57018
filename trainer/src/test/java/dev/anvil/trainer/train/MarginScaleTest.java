package dev.anvil.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import dev.anvil.trainer.MiniLm;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.BertEncoder;
import dev.anvil.trainer.model.EncoderModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * MarginMSE gives the teacher's margins the student's spread before it matches them: a teacher
 * whose cosines sit in a narrow band would otherwise teach the student to shrink its margins. The
 * factor is measured on the training triples before any step, and is the same every time.
 */
class MarginScaleTest {
  static List<Example> triples() {
    List<Example> pairs = TinyModels.pairs();
    List<Example> out = new ArrayList<>();
    for (int i = 0; i < pairs.size(); i++) {
      Example.Pair p = (Example.Pair) pairs.get(i);
      Example.Pair other = (Example.Pair) pairs.get((i + 3) % pairs.size());
      out.add(
          new Example.Pair(
              p.where(), p.query(), p.positive(), Optional.of(other.positive()), p.tags()));
    }
    return out;
  }

  static EncoderModel model(int seed) {
    return EncoderModel.of(
        BertEncoder.random(TinyModels.CONFIG, seed, Device.cpu()), MiniLm.tokenizer(), 32);
  }

  @Test
  void theTeachersMarginsTakeTheStudentsSpread() {
    List<Example> train = triples();
    try (EncoderModel student = model(7);
        EncoderModel teacher = model(8)) {
      Map<String, float[]> taught = DistillTask.teach(teacher, train);
      double scale = DistillTask.marginScale(student, taught, train);
      assertThat(scale).isPositive();
      assertThat(DistillTask.marginScale(student, taught, train))
          .as("deterministic")
          .isEqualTo(scale);

      // A teacher whose cosines are half as far apart needs twice the factor.
      Map<String, float[]> narrow = new HashMap<>();
      taught.forEach(
          (k, v) -> {
            float[] w = v.clone();
            for (int i = 0; i < w.length; i++) {
              w[i] *= (float) Math.sqrt(0.5);
            }
            narrow.put(k, w);
          });
      assertThat(DistillTask.marginScale(student, narrow, train))
          .isCloseTo(2 * scale, within(1e-4));

      // The student taught by itself: the spreads are the same.
      assertThat(DistillTask.marginScale(student, DistillTask.teach(student, train), train))
          .isCloseTo(1, within(1e-4));
      // Nothing to measure on: no scaling.
      assertThat(DistillTask.marginScale(student, taught, TinyModels.pairs())).isEqualTo(1);
    }
  }
}
