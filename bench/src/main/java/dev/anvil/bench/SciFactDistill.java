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
 * Issue 17's distillation goals on SciFact, through a real {@code task: distill} job: a student
 * learns to embed as the teacher bge-small-en-v1.5 does (MSE to the teacher's unit vectors), on
 * SciFact text only: synthetic pairs from the first {@code DOCS} corpus documents (titles and
 * inverse cloze, no labels) and the {@code train-minus-dev} pairs; the job keeps the checkpoint
 * that does best on the {@code dev} pairs. Only then are teacher and student measured on SciFact
 * test, once each (the student's recorded in its card), and their embedding speed compared on the
 * same cores: the goal is ≥ 0.97 × the teacher's dense nDCG@10 at ≥ 2 × its speed.
 *
 * <p>The student is all-MiniLM-L6-v2 ({@code minilm}, 6 layers) or a copy of chosen teacher layers
 * ({@code layers:0,4,8,11}, the "compress" step).
 *
 * <p>{@code java --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED
 * -Dai.djl.offline=true -cp bench/target/benchmarks.jar dev.anvil.bench.SciFactDistill
 * ../shared/data/beir/scifact [minilm|layers:0,4,8,11] [EPOCHS] [DOCS]}
 */
public final class SciFactDistill {
  private SciFactDistill() {}

  public static void main(String[] args) throws Exception {
    Path beir = Path.of(args.length > 0 ? args[0] : "../shared/data/beir/scifact");
    String student = args.length > 1 ? args[1] : "minilm";
    int epochs = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    int docs = args.length > 3 ? Integer.parseInt(args[3]) : 1_000;
    Path work = Files.createTempDirectory("anvil-scifact-distill");

    // Every choice first (training, the checkpoint kept on dev); test is read only after.
    long t = System.nanoTime();
    Path distilled = distill(beir, student, epochs, docs, work);
    double trainSeconds = (System.nanoTime() - t) / 1e9;

    BeirDataset test = BeirDataset.load(beir, Splits.TEST);
    Path teacherDir = PackagedModels.extract("bge-small-en-v1.5", work.resolve("models/.packaged"));
    SortedMap<String, Double> teacher;
    double teacherRate;
    try (EncoderModel m = onnx(teacherDir)) {
      teacher = RetrievalScores.of(m, test);
      teacherRate = passagesPerSecond(m, test);
    }
    System.out.printf("teacher bge-small-en-v1.5 on test: %s%n", teacher);
    TestReport report =
        new TestReporter(Clock.systemUTC()).report(distilled, beir, "benchmark").report();
    double studentRate;
    try (EncoderModel m =
        EncoderModel.fromHuggingFace(distilled, Device.cpu(), PromotionGate.MAX_TOKENS)) {
      studentRate = passagesPerSecond(m, test);
    }
    double ratio = report.metrics().get("ndcg@10") / teacher.get("ndcg@10");
    System.out.printf(
        "student (%s) on test: %s (recorded in %s)%n",
        student, report.metrics(), distilled.resolve(ModelCard.FILE));
    System.out.printf(
        "SciFact test dense nDCG@10: teacher %.4f, student %.4f = %.3f x the teacher (goal 0.97);"
            + " embedding %.1f vs %.1f passages/s = %.2f x faster (goal 2); training %.0f s%n",
        teacher.get("ndcg@10"),
        report.metrics().get("ndcg@10"),
        ratio,
        studentRate,
        teacherRate,
        studentRate / teacherRate,
        trainSeconds);
  }

  /**
   * Distills into the student through a real job under {@code work}; returns the registered model's
   * directory. Nothing of the test split is read.
   */
  static Path distill(Path beir, String student, int epochs, int docs, Path work) throws Exception {
    Path train = work.resolve("scifact-train.jsonl");
    int pairs = SciFactFineTune.writePairs(BeirDataset.load(beir, Splits.TRAIN_MINUS_DEV), train);
    int devPairs =
        SciFactFineTune.writePairs(
            BeirDataset.load(beir, Splits.DEV), work.resolve("scifact-dev.jsonl"));
    int synthetic = appendSynthetic(BeirDataset.load(beir, Splits.TRAIN_MINUS_DEV), docs, train);
    String model = student.equals("minilm") ? "base_model: {packaged: all-minilm-l6-v2}\n" : "";
    String layers = student.startsWith("layers:") ? ", layers: [" + student.substring(7) + "]" : "";
    Files.writeString(
        work.resolve("scifact-distill.yaml"),
        """
        name: scifact-distill
        task: distill
        %sdistill: {teacher: {packaged: bge-small-en-v1.5}%s, loss: mse}
        data:
          train: scifact-train.jsonl
          eval: scifact-dev.jsonl
          tags: {classification: public, department: [engineering]}
        hyperparameters:
          epochs: %d
          batch_size: 16
          learning_rate: 1.0e-4
          warmup_steps: 20
          max_seq_length: 128
          eval_every: 50
          checkpoint_every: 50
          seed: 42
        """
            .formatted(model, layers, epochs));
    SciFactFineTune.Ran ran =
        SciFactFineTune.runJob(work, "scifact-distill", "scifact-distill.yaml");
    JsonObject metrics = ran.metrics();
    System.out.printf(
        "distilled on %d train-minus-dev pairs and %d synthetic pairs, %d epoch(s), in %.0f s (job"
            + " %s); kept step %s, dev pairs (%d) %s -> %s%n",
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
  private static int appendSynthetic(BeirDataset set, int docs, Path file) throws Exception {
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
            passages, new SynthesisSettings(42, true, true, 0, 3, 0)); // no negatives: MSE
    for (SyntheticPair p : pairs) {
      JsonObject o = new JsonObject();
      o.addProperty("query", p.query());
      o.addProperty("positive", p.positive());
      jsonl.append(new Gson().toJson(o)).append('\n');
    }
    Files.writeString(file, jsonl, java.nio.file.StandardOpenOption.APPEND);
    return pairs.size();
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
