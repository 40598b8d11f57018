package dev.anvil.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.EncoderModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Knowledge distillation: a student embedding model learns to embed as a bigger, frozen teacher
 * does. The teacher embeds every text of the job once, before training ({@link #teach}); then each
 * step compares the student with those vectors:
 *
 * <ul>
 *   <li>{@link Loss#MSE}: the squared distance between the student's and the teacher's unit vectors
 *       of every query and passage of the batch (needs only text, no labels);
 *   <li>{@link Loss#MARGIN_MSE}: the squared difference between the student's and the teacher's
 *       margins {@code cos(q, positive) - cos(q, negative)} (Hofstätter et al.), for pairs with a
 *       hard negative; the student may then differ from the teacher in width.
 * </ul>
 *
 * Evaluated as the embedding task is (retrieval over the held-out passages), plus the mean cosine
 * between the student's and the teacher's vectors of the held-out texts.
 */
public final class DistillTask implements Task {
  /** What the student matches. */
  public enum Loss {
    MSE,
    MARGIN_MSE
  }

  private final EncoderModel student;
  private final Map<String, float[]> teacher;
  private final Loss loss;
  private final EmbeddingTask retrieval;
  private final Map<String, Object> card;

  /**
   * @param teacher the teacher's unit vector of every text the job uses ({@link #teach})
   * @param card what the model card says of the teacher
   * @throws IllegalArgumentException if {@code loss} is MSE and the widths differ
   */
  public DistillTask(
      EncoderModel student, Map<String, float[]> teacher, Loss loss, Map<String, Object> card) {
    int width = student.encoder().config().hiddenSize();
    int teacherWidth = teacher.values().stream().findFirst().map(v -> v.length).orElse(width);
    if (loss == Loss.MSE && teacherWidth != width) {
      throw new IllegalArgumentException(
          "distill.loss mse needs the student as wide as the teacher ("
              + width
              + " vs "
              + teacherWidth
              + "): use margin_mse, or a student made of the teacher's layers");
    }
    this.student = student;
    this.teacher = Map.copyOf(teacher);
    this.loss = loss;
    this.retrieval = new EmbeddingTask(student, 1);
    this.card = new LinkedHashMap<>(card);
  }

  /** The teacher's unit vectors of every query, positive and negative of {@code examples}. */
  public static Map<String, float[]> teach(EncoderModel teacher, List<Example> examples) {
    List<String> texts = new ArrayList<>(texts(examples));
    float[][] vectors = teacher.embed(texts, 32);
    Map<String, float[]> out = new LinkedHashMap<>();
    for (int i = 0; i < texts.size(); i++) {
      out.put(texts.get(i), vectors[i]);
    }
    return out;
  }

  private static LinkedHashSet<String> texts(List<Example> examples) {
    LinkedHashSet<String> texts = new LinkedHashSet<>();
    for (Example e : examples) {
      Example.Pair p = (Example.Pair) e;
      texts.add(p.query());
      texts.add(p.positive());
      p.negative().ifPresent(texts::add);
    }
    return texts;
  }

  @Override
  public String name() {
    return "distill";
  }

  @Override
  public String metric() {
    return "ndcg@10";
  }

  @Override
  public Map<String, NDArray> headWeights() {
    return Map.of();
  }

  @Override
  public NDArray loss(List<Example> batch, NDManager manager) {
    return switch (loss) {
      case MSE -> mse(batch, manager);
      case MARGIN_MSE -> marginMse(batch, manager);
    };
  }

  private NDArray mse(List<Example> batch, NDManager manager) {
    List<String> texts = List.copyOf(texts(batch));
    NDArray s = student.embed(student.tokenize(texts, manager), true);
    NDArray t = vectors(texts, manager);
    return s.sub(t).square().sum(new int[] {1}).mean();
  }

  private NDArray marginMse(List<Example> batch, NDManager manager) {
    List<String> queries = new ArrayList<>();
    List<String> positives = new ArrayList<>();
    List<String> negatives = new ArrayList<>();
    for (Example e : batch) {
      Example.Pair p = (Example.Pair) e;
      if (p.negative().isPresent()) {
        queries.add(p.query());
        positives.add(p.positive());
        negatives.add(p.negative().get());
      }
    }
    if (queries.size() != batch.size()) {
      throw new IllegalStateException("margin_mse needs a negative for every pair (checked first)");
    }
    NDArray q = student.embed(student.tokenize(queries, manager), true);
    NDArray studentMargin =
        margin(
            q,
            student.embed(student.tokenize(positives, manager), true),
            student.embed(student.tokenize(negatives, manager), true));
    NDArray teacherMargin =
        margin(vectors(queries, manager), vectors(positives, manager), vectors(negatives, manager));
    return studentMargin.sub(teacherMargin).square().mean();
  }

  /** {@code cos(q, p) - cos(q, n)} per row of unit vectors. */
  private static NDArray margin(NDArray q, NDArray p, NDArray n) {
    return q.mul(p).sum(new int[] {1}).sub(q.mul(n).sum(new int[] {1}));
  }

  private NDArray vectors(List<String> texts, NDManager manager) {
    int width = teacher.get(texts.getFirst()).length;
    float[] flat = new float[texts.size() * width];
    for (int i = 0; i < texts.size(); i++) {
      System.arraycopy(teacher.get(texts.get(i)), 0, flat, i * width, width);
    }
    return manager.create(flat, new Shape(texts.size(), width));
  }

  @Override
  public Map<String, Double> evaluate(List<Example> heldOut) {
    Map<String, Double> out = new LinkedHashMap<>(retrieval.evaluate(heldOut));
    List<String> texts = List.copyOf(texts(heldOut));
    float[][] s = student.embed(texts, 32);
    double cosine = 0;
    boolean sameWidth = s.length > 0 && s[0].length == teacher.get(texts.getFirst()).length;
    if (sameWidth) {
      for (int i = 0; i < texts.size(); i++) {
        float[] t = teacher.get(texts.get(i));
        for (int j = 0; j < t.length; j++) {
          cosine += s[i][j] * t[j];
        }
      }
      out.put("teacher_cosine", cosine / texts.size());
    }
    return out;
  }

  @Override
  public Map<String, Object> card() {
    Map<String, Object> out = new LinkedHashMap<>(card);
    out.put("objective", loss == Loss.MSE ? "MSELoss to the teacher" : "MarginMSELoss");
    out.put(
        "pooling", student.pooling().name().toLowerCase(java.util.Locale.ROOT) + ", normalized");
    return out;
  }
}
