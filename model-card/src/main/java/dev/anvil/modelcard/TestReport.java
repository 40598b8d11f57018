package dev.anvil.modelcard;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A model's test report: its numbers on a test split, measured once and kept in its model card
 * under {@value #FIELD}. Nothing decides on test (the gate and every selection use a dev split), so
 * a test number is an honest estimate only if no one iterates against it: {@link #once} measures a
 * model at most once and from then on answers with what was recorded.
 *
 * @param dataset the BEIR folder measured on, as given
 * @param split the qrels split, {@code test}
 * @param qrelsSha256 SHA-256 (hex) of that split's qrels file: which judgements were used
 * @param queries how many queries were measured
 * @param metrics metric (e.g. {@code ndcg@10}) to its mean over the queries
 * @param reportedBy who asked (a subject, or {@code operator})
 * @param reportedAt when it was measured
 */
public record TestReport(
    String dataset,
    String split,
    String qrelsSha256,
    int queries,
    SortedMap<String, Double> metrics,
    String reportedBy,
    Instant reportedAt) {
  /** The card's field holding the report. */
  public static final String FIELD = "test_report";

  /** The lock file in the model directory held while a report is measured. */
  static final String LOCK = ".anvil-test-report.lock";

  public TestReport {
    Objects.requireNonNull(dataset, "dataset");
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(qrelsSha256, "qrelsSha256");
    Objects.requireNonNull(reportedBy, "reportedBy");
    Objects.requireNonNull(reportedAt, "reportedAt");
    if (queries <= 0) {
      throw new IllegalArgumentException("a test report needs queries, was " + queries);
    }
    metrics = Collections.unmodifiableSortedMap(new TreeMap<>(metrics));
  }

  /** What {@link #once} did. */
  public sealed interface Outcome permits Measured, AlreadyReported {
    /** The model's test report, new or recorded. */
    TestReport report();
  }

  /** Measured now and recorded in the card: the first and only time. */
  public record Measured(TestReport report) implements Outcome {}

  /** Reported before: these are the recorded numbers, and nothing was measured. */
  public record AlreadyReported(TestReport report) implements Outcome {}

  /**
   * The test report of the model in {@code modelDir}: the one its card records, or else {@code
   * measure}'s, recorded in the card before it is returned. Two callers at once on the same
   * directory (threads or processes) cannot both measure: the second is refused while the first
   * holds the lock, and answered with the recorded report after.
   *
   * @throws ModelCardException if the model has no card (only models Anvil trained have one), its
   *     card is malformed, or another report of it is being measured now
   */
  public static Outcome once(Path modelDir, Supplier<TestReport> measure) {
    ModelCard card = card(modelDir);
    Optional<TestReport> recorded = card.testReport();
    if (recorded.isPresent()) {
      return new AlreadyReported(recorded.get());
    }
    try (FileChannel ch =
            FileChannel.open(
                modelDir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = tryLock(ch, modelDir)) {
      // Read again under the lock: another caller may have recorded one since.
      card = card(modelDir);
      recorded = card.testReport();
      if (recorded.isPresent()) {
        return new AlreadyReported(recorded.get());
      }
      TestReport report = measure.get();
      card.withTestReport(report).write(modelDir);
      return new Measured(report);
    } catch (IOException e) {
      throw new ModelCardException(
          modelDir + ": cannot lock " + LOCK + " for the test report: " + e.getMessage(), e);
    }
  }

  private static ModelCard card(Path modelDir) {
    return ModelCard.read(modelDir)
        .orElseThrow(
            () ->
                new ModelCardException(
                    modelDir
                        + ": no "
                        + ModelCard.FILE
                        + ": a test report is recorded in the card of a model Anvil trained"));
  }

  private static FileLock tryLock(FileChannel ch, Path modelDir) throws IOException {
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null; // held by this JVM
    }
    if (lock == null) {
      throw new ModelCardException(
          modelDir + ": another test report of this model is being measured now; ask again after");
    }
    return lock;
  }

  JsonObject toJson() {
    JsonObject o = new JsonObject();
    o.addProperty("dataset", dataset);
    o.addProperty("split", split);
    o.addProperty("qrels_sha256", qrelsSha256);
    o.addProperty("queries", queries);
    JsonObject m = new JsonObject();
    metrics.forEach(m::addProperty);
    o.add("metrics", m);
    o.addProperty("reported_by", reportedBy);
    o.addProperty("reported_at", reportedAt.toString());
    return o;
  }

  /** The report in a card's {@value #FIELD}; {@code origin} names the card in errors. */
  static TestReport fromJson(JsonElement e, String origin) {
    String where = origin + ": field '" + FIELD + "'";
    try {
      JsonObject o = e.getAsJsonObject();
      SortedMap<String, Double> metrics = new TreeMap<>();
      for (Map.Entry<String, JsonElement> m : o.getAsJsonObject("metrics").entrySet()) {
        metrics.put(m.getKey(), m.getValue().getAsDouble());
      }
      return new TestReport(
          o.get("dataset").getAsString(),
          o.get("split").getAsString(),
          o.get("qrels_sha256").getAsString(),
          o.get("queries").getAsInt(),
          metrics,
          o.get("reported_by").getAsString(),
          Instant.parse(o.get("reported_at").getAsString()));
    } catch (RuntimeException ex) {
      throw new ModelCardException(where + ": malformed: " + ex.getMessage(), ex);
    }
  }
}
