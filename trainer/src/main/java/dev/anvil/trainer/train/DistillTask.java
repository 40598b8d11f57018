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
 *       hard negative; the student may then differ from the teacher in width. The teacher's margins
 *       may first be scaled to the student's spread ({@link #marginScale}): two models' cosines
 *       live on different scales (bge's are packed into a narrow band), and matching them unscaled
 *       may teach the student to shrink its margins rather than to order passages as the teacher
 *       does.
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
  private final double marginScale;
  private final EmbeddingTask retrieval;
  private final Map<String, Object> card;

  /**
   * @param teacher the teacher's unit vector of every text the job uses ({@link #teach})
   * @param marginScale what the teacher's margins are multiplied by (MarginMSE; see {@link
   *     #marginScale})
   * @param card what the model card says of the teacher
   * @throws IllegalArgumentException if {@code loss} is MSE and the widths differ
   */
  public DistillTask(
      EncoderModel student,
      Map<String, float[]> teacher,
      Loss loss,
      double marginScale,
      Map<String, Object> card) {
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
    this.marginScale = marginScale;
    this.retrieval = new EmbeddingTask(student, 1);
    this.card = new LinkedHashMap<>(card);
  }

  /**
   * The teacher's unit vectors of every query, positive and negative of {@code examples}, each
   * embedded as the teacher embeds its kind (queries with its query prompt, e.g. BGE's
   * instruction), keyed by {@link #QUERY} or {@link #DOCUMENT} and the text.
   */
  public static Map<String, float[]> teach(EncoderModel teacher, List<Example> examples) {
    return vectorsOf(teacher, examples);
  }

  /** How many training triples {@link #marginScale} measures the spreads on. */
  static final int CALIBRATION_TRIPLES = 512;

  /**
   * The factor that gives the teacher's margins the student's spread: the standard deviation of the
   * student's margins over the first {@link #CALIBRATION_TRIPLES} training triples (before any
   * step) divided by the teacher's. 1 if there are no triples or the teacher's margins do not vary.
   * Deterministic: the same triples in the same order give the same factor.
   */
  public static double marginScale(
      EncoderModel student, Map<String, float[]> teacher, List<Example> train) {
    List<Example.Pair> triples = triples(train);
    triples = triples.subList(0, Math.min(CALIBRATION_TRIPLES, triples.size()));
    if (triples.size() < 2) {
      return 1;
    }
    Map<String, float[]> studentOf = vectorsOf(student, List.copyOf(triples));
    double[] studentMargins = new double[triples.size()];
    double[] teacherMargins = new double[triples.size()];
    for (int i = 0; i < triples.size(); i++) {
      studentMargins[i] = margin(studentOf, triples.get(i));
      teacherMargins[i] = margin(teacher, triples.get(i));
    }
    double spread = deviation(teacherMargins);
    return spread > 0 ? deviation(studentMargins) / spread : 1;
  }

  /** The pairs of {@code examples} that have a hard negative, in order. */
  private static List<Example.Pair> triples(List<Example> examples) {
    return examples.stream()
        .map(Example.Pair.class::cast)
        .filter(p -> p.negative().isPresent())
        .toList();
  }

  private static double margin(Map<String, float[]> vectors, Example.Pair p) {
    float[] q = vectors.get(QUERY + p.query());
    return dot(q, vectors.get(DOCUMENT + p.positive()))
        - dot(q, vectors.get(DOCUMENT + p.negative().orElseThrow()));
  }

  private static double deviation(double[] values) {
    double mean = java.util.Arrays.stream(values).average().orElse(0);
    double sum = 0;
    for (double v : values) {
      sum += (v - mean) * (v - mean);
    }
    return Math.sqrt(sum / values.length);
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

  /** A key's text as {@code model} embeds it: with its own prompt for the kind. */
  private static String textFor(EncoderModel model, String key) {
    return key.startsWith(QUERY)
        ? model.query(key.substring(QUERY.length()))
        : model.document(key.substring(DOCUMENT.length()));
  }

  private String studentText(String key) {
    return textFor(student, key);
  }

  /** {@code model}'s vectors of every text of {@code examples}, by key, without dropout. */
  private static Map<String, float[]> vectorsOf(EncoderModel model, List<Example> examples) {
    List<String> keys = List.copyOf(texts(examples));
    float[][] vectors = model.embed(keys.stream().map(k -> textFor(model, k)).toList(), 32);
    Map<String, float[]> out = new LinkedHashMap<>();
    for (int i = 0; i < keys.size(); i++) {
      out.put(keys.get(i), vectors[i]);
    }
    return out;
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
        margin(vectors(queries, manager), vectors(positives, manager), vectors(negatives, manager))
            .mul(marginScale);
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
    Map<String, float[]> studentOf = vectorsOf(student, heldOut);
    double cosine = 0;
    for (Map.Entry<String, float[]> e : studentOf.entrySet()) {
      float[] t = teacher.get(e.getKey());
      if (t.length != e.getValue().length) {
        return OptionalDouble.empty();
      }
      cosine += dot(e.getValue(), t);
    }
    return studentOf.isEmpty()
        ? OptionalDouble.empty()
        : OptionalDouble.of(cosine / studentOf.size());
  }

  /** The mean squared margin difference over the held-out pairs with a negative, if any. */
  private OptionalDouble marginError(List<Example> heldOut) {
    List<Example.Pair> triples = triples(heldOut);
    if (triples.isEmpty()) {
      return OptionalDouble.empty();
    }
    Map<String, float[]> studentOf = vectorsOf(student, List.copyOf(triples));
    double error = 0;
    for (Example.Pair p : triples) {
      double difference = margin(studentOf, p) - marginScale * margin(teacher, p);
      error += difference * difference;
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
    if (loss == Loss.MARGIN_MSE) {
      out.put("teacher_margin_scale", marginScale);
    }
    out.put(
        "pooling", student.pooling().name().toLowerCase(java.util.Locale.ROOT) + ", normalized");
    return out;
  }
}
