package dev.anvil.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.EncoderModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

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
 * Evaluated as the embedding task is (retrieval over the held-out passages), plus how close the
 * student is to what it learns: with MSE the mean cosine between the student's and the teacher's
 * vectors of the held-out texts ({@code teacher_cosine}); with MarginMSE the mean squared
 * difference of the margins on the held-out pairs that have a negative ({@code margin_error}; the
 * student's space is its own, so cosines to the teacher mean nothing there).
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

  /**
   * The teacher's unit vectors of every query, positive and negative of {@code examples}, each
   * embedded as the teacher embeds its kind (queries with its query prompt, e.g. BGE's
   * instruction), keyed by {@link #QUERY} or {@link #DOCUMENT} and the text.
   */
  public static Map<String, float[]> teach(EncoderModel teacher, List<Example> examples) {
    List<String> keys = new ArrayList<>(texts(examples));
    List<String> prompted =
        keys.stream()
            .map(
                k ->
                    k.startsWith(QUERY)
                        ? teacher.query(k.substring(QUERY.length()))
                        : teacher.document(k.substring(DOCUMENT.length())))
            .toList();
    float[][] vectors = teacher.embed(prompted, 32);
    Map<String, float[]> out = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      out.put(keys.get(i), vectors[i]);
    }
    return out;
  }

  /** The key of a query's vector: the same text may be a query and a passage, embedded apart. */
  static final String QUERY = "q:";

  /** The key of a passage's vector. */
  static final String DOCUMENT = "d:";

  private static LinkedHashSet<String> texts(List<Example> examples) {
    LinkedHashSet<String> texts = new LinkedHashSet<>();
    for (Example e : examples) {
      Example.Pair p = (Example.Pair) e;
      texts.add(QUERY + p.query());
      texts.add(DOCUMENT + p.positive());
      p.negative().ifPresent(n -> texts.add(DOCUMENT + n));
    }
    return texts;
  }

  /** A key's text as the student embeds it: with its own prompt for the kind. */
  private String studentText(String key) {
    return key.startsWith(QUERY)
        ? student.query(key.substring(QUERY.length()))
        : student.document(key.substring(DOCUMENT.length()));
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
    List<String> keys = List.copyOf(texts(batch));
    List<String> texts = keys.stream().map(this::studentText).toList();
    NDArray s = student.embed(student.tokenize(texts, manager), true);
    NDArray t = vectors(keys, manager);
    return s.sub(t).square().sum(new int[] {1}).mean();
  }

  private NDArray marginMse(List<Example> batch, NDManager manager) {
    List<String> queries = new ArrayList<>();
    List<String> positives = new ArrayList<>();
    List<String> negatives = new ArrayList<>();
    for (Example e : batch) {
      Example.Pair p = (Example.Pair) e;
      if (p.negative().isPresent()) {
        queries.add(QUERY + p.query());
        positives.add(DOCUMENT + p.positive());
        negatives.add(DOCUMENT + p.negative().get());
      }
    }
    if (queries.size() != batch.size()) {
      throw new IllegalStateException("margin_mse needs a negative for every pair (checked first)");
    }
    NDArray studentMargin =
        margin(embed(queries, manager), embed(positives, manager), embed(negatives, manager));
    NDArray teacherMargin =
        margin(vectors(queries, manager), vectors(positives, manager), vectors(negatives, manager));
    return studentMargin.sub(teacherMargin).square().mean();
  }

  /** The student's vectors of keyed texts, with dropout. */
  private NDArray embed(List<String> keys, NDManager manager) {
    return student.embed(
        student.tokenize(keys.stream().map(this::studentText).toList(), manager), true);
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
    switch (loss) {
      case MSE -> teacherCosine(heldOut).ifPresent(c -> out.put("teacher_cosine", c));
      case MARGIN_MSE -> marginError(heldOut).ifPresent(e -> out.put("margin_error", e));
    }
    return out;
  }

  /** The mean cosine of the student's and the teacher's vectors, if they are as wide. */
  private OptionalDouble teacherCosine(List<Example> heldOut) {
    List<String> keys = List.copyOf(texts(heldOut));
    float[][] s = student.embed(keys.stream().map(this::studentText).toList(), 32);
    if (s.length == 0 || s[0].length != teacher.get(keys.getFirst()).length) {
      return OptionalDouble.empty();
    }
    double cosine = 0;
    for (int i = 0; i < keys.size(); i++) {
      cosine += dot(s[i], teacher.get(keys.get(i)));
    }
    return OptionalDouble.of(cosine / keys.size());
  }

  /** The mean squared margin difference over the held-out pairs with a negative, if any. */
  private OptionalDouble marginError(List<Example> heldOut) {
    List<Example.Pair> triples =
        heldOut.stream()
            .map(Example.Pair.class::cast)
            .filter(p -> p.negative().isPresent())
            .toList();
    if (triples.isEmpty()) {
      return OptionalDouble.empty();
    }
    List<String> keys = List.copyOf(texts(List.copyOf(triples)));
    float[][] s = student.embed(keys.stream().map(this::studentText).toList(), 32);
    Map<String, float[]> studentOf = new HashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      studentOf.put(keys.get(i), s[i]);
    }
    double error = 0;
    for (Example.Pair p : triples) {
      String q = QUERY + p.query();
      String pos = DOCUMENT + p.positive();
      String neg = DOCUMENT + p.negative().orElseThrow();
      double studentMargin =
          dot(studentOf.get(q), studentOf.get(pos)) - dot(studentOf.get(q), studentOf.get(neg));
      double teacherMargin =
          dot(teacher.get(q), teacher.get(pos)) - dot(teacher.get(q), teacher.get(neg));
      error += (studentMargin - teacherMargin) * (studentMargin - teacherMargin);
    }
    return OptionalDouble.of(error / triples.size());
  }

  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
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
