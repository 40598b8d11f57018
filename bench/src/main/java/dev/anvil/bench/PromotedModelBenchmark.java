package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.serving.Reembedding;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.RetrievalMetrics;
import dev.anvil.eval.Splits;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.trainer.model.PackagedModels;
import dev.anvil.trainer.promote.GateDecision;
import dev.anvil.trainer.promote.GateRules;
import dev.anvil.trainer.promote.PromotionGate;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The loop closed on SciFact: all-MiniLM-L6-v2 fine-tuned on the training pairs minus a carved dev
 * split (a real job that keeps its best checkpoint on dev, exported to ONNX), passed through the
 * promotion gate on the dev split, and switched into a context engine that indexed the corpus with
 * the base model (background re-embedding). Only then, once, reports the engine's SciFact test
 * nDCG@10 for dense and hybrid search with the base model and with the promoted one, in the same
 * run, through the full engine (policy filter, chunks, ONNX Runtime embeddings). Nothing before
 * that reads the test split.
 *
 * <p>{@code java --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED
 * --add-modules jdk.incubator.vector -Dai.djl.offline=true -cp bench/target/benchmarks.jar
 * dev.anvil.bench.PromotedModelBenchmark ../shared/data/beir/scifact [epochs]}
 */
public final class PromotedModelBenchmark {
  private PromotedModelBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path beir = Path.of(args.length > 0 ? args[0] : "../shared/data/beir/scifact");
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    Path work = Files.createTempDirectory("anvil-promoted-model");
    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    PolicyStore policies = PolicyStore.open(pack);

    long t = System.nanoTime();
    Path tuned = SciFactFineTune.fineTune(beir, epochs, work);
    double trainSeconds = (System.nanoTime() - t) / 1e9;
    Path base = PackagedModels.extract("all-minilm-l6-v2", work.resolve("models/.packaged"));

    // The gate: better on the dev split carved from SciFact's training queries, no worse on a fixed
    // slice of the queries it trained on (it can only catch forgetting them: SciFact has no third
    // split to spare), and trained on data an engine for internal documents may serve.
    GateRules rules =
        GateRules.parse(
            "gate.yaml",
            "min_margin: 0.005\nmax_regression: 0.0\nmax_lineage: {classification: internal}\n",
            policies.current().schema());
    t = System.nanoTime();
    GateDecision decision =
        new PromotionGate(policies.current().schema(), work.resolve("gate.jsonl"))
            .decide(
                tuned,
                base,
                BeirDataset.load(beir, Splits.DEV),
                regressionSlice(BeirDataset.load(beir, Splits.TRAIN_MINUS_DEV), 100),
                rules,
                new PromotionGate.Asked("benchmark", policies.current().version()));
    System.out.printf(
        "gate: %s; evaluation (%s) %.4f vs %.4f, regression (%s) %.4f vs %.4f (%.0f s)%n",
        decision.verdict(),
        decision.evaluation().split(),
        decision.evaluation().candidate(),
        decision.evaluation().serving(),
        decision.regression().split(),
        decision.regression().candidate(),
        decision.regression().serving(),
        (System.nanoTime() - t) / 1e9);
    if (!decision.promoted()) {
      throw new IllegalStateException("the gate refused the fine-tuned model: " + decision);
    }

    // Every decision is made: from here on, test is read once, to report.
    BeirDataset test = BeirDataset.load(beir, Splits.TEST);
    Principal reader = Principal.of("eval");
    // A connector of the documents without a source: the only writers the example pack admits.
    Principal writer =
        new Principal(
            "eval-writer", Set.of("ingest-service"), Set.of(), Map.of("source", List.of("none")));
    Map<String, Object> tags =
        Map.of("classification", "public", "department", List.of("all-staff"));
    int threads = Runtime.getRuntime().availableProcessors();
    try (OnnxEmbedder embedder = OnnxEmbedder.open(ModelSource.packagedMiniLm(), threads);
        ContextEngine engine =
            ContextEngine.open(
                work.resolve("index"),
                policies,
                embedder,
                dir -> OnnxEmbedder.open(ModelSource.directory(dir), threads),
                OpenTelemetry.noop())) {
      t = System.nanoTime();
      List<Document> docs = new ArrayList<>();
      for (BeirDataset.Doc d : test.corpus()) {
        docs.add(new Document(d.id(), 1, d.title(), d.text(), "beir:" + d.id(), tags));
      }
      for (int i = 0; i < docs.size(); i += 64) {
        engine.ingest(writer, docs.subList(i, Math.min(docs.size(), i + 64)));
      }
      if (engine.chunkCount() == 0) {
        throw new IllegalStateException("the policy refused every document: nothing indexed");
      }
      System.out.printf(
          "indexed %d documents as %d chunks with %s in %.0f s%n",
          docs.size(), engine.chunkCount(), engine.modelId(), (System.nanoTime() - t) / 1e9);
      Map<String, Double> before = evaluate(engine, reader, test);

      t = System.nanoTime();
      Reembedding r = engine.reembed(tuned, 0);
      String model = r.finished().get(1, TimeUnit.HOURS);
      System.out.printf(
          "re-embedded %d chunks with %s in %.0f s, then switched%n",
          r.done(), model, (System.nanoTime() - t) / 1e9);
      Map<String, Double> after = evaluate(engine, reader, test);

      System.out.printf(
          "%nSciFact test nDCG@10 through the engine (training %.0f s)%n", trainSeconds);
      System.out.printf("%-7s %10s %10s %8s%n", "mode", "base", "promoted", "ratio");
      for (String mode : before.keySet()) {
        System.out.printf(
            "%-7s %10.4f %10.4f %8.3f%n",
            mode, before.get(mode), after.get(mode), after.get(mode) / before.get(mode));
      }
    }
  }

  /** The first {@code n} queries of {@code train} with their judged documents and 1,000 others. */
  static BeirDataset regressionSlice(BeirDataset train, int n) {
    Map<String, String> queries = new LinkedHashMap<>();
    Map<String, Map<String, Integer>> qrels = new LinkedHashMap<>();
    Set<String> judged = new LinkedHashSet<>();
    for (String q : train.queries().keySet()) {
      if (queries.size() == n) {
        break;
      }
      queries.put(q, train.queries().get(q));
      qrels.put(q, train.qrels().get(q));
      judged.addAll(train.qrels().get(q).keySet());
    }
    List<BeirDataset.Doc> corpus = new ArrayList<>();
    for (BeirDataset.Doc d : train.corpus()) {
      if (judged.contains(d.id()) || corpus.size() < 1000 + judged.size()) {
        corpus.add(d);
      }
    }
    return new BeirDataset(train.split(), corpus, queries, qrels);
  }

  /** nDCG@10 per mode over the test queries; a document ranks where its best chunk does. */
  static Map<String, Double> evaluate(ContextEngine engine, Principal reader, BeirDataset test) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (SearchRequest.Mode mode : SearchRequest.Mode.values()) {
      double ndcg = 0;
      for (Map.Entry<String, String> q : test.queries().entrySet()) {
        var res = engine.search(reader, new SearchRequest(q.getValue(), 400, 0, Map.of(), mode));
        List<String> ranked =
            new ArrayList<>(
                new LinkedHashSet<>(res.hits().stream().map(h -> h.documentId()).toList()));
        ndcg += RetrievalMetrics.ndcg(ranked, test.qrels().get(q.getKey()), 10);
      }
      out.put(mode.name().toLowerCase(java.util.Locale.ROOT), ndcg / test.queries().size());
      System.out.printf(
          "  %s %s nDCG@10 %.4f%n", engine.modelId(), mode, ndcg / test.queries().size());
    }
    return out;
  }
}
