package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Ranked;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.RetrievalMetrics;
import dev.anvil.eval.Splits;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Chooses hybrid search's fusion on SciFact's train split, then reports the choice on test once.
 * The engine's own rankings (BM25 and dense, each {@code DEPTH} chunks deep, within the policy
 * filter) are fetched once per query from an index {@code anvil eval beir} built; reciprocal rank
 * fusion is then swept offline over its constant {@code k}, the weight of BM25 against the vectors,
 * and fusing chunks or documents. The best on train by nDCG@10 is measured on test, beside the
 * engine's default (k = 60, equal weights).
 *
 * <p>{@code java -cp bench/target/benchmarks.jar dev.anvil.bench.FusionSweep INDEX_DIR
 * ../shared/data/beir/scifact [DEPTH]}
 */
public final class FusionSweep {
  private FusionSweep() {}

  /** One way to fuse. */
  record Fusion(int k, double bm25Weight, boolean byDocument) {
    @Override
    public String toString() {
      return String.format(
          "k=%d, bm25 weight %.2f, %s", k, bm25Weight, byDocument ? "by document" : "by chunk");
    }
  }

  /** A query's two rankings, as document ids of chunks, best first. */
  record Lists(
      List<String> bm25Docs,
      List<String> bm25Keys,
      List<String> denseDocs,
      List<String> denseKeys) {}

  public static void main(String[] args) throws Exception {
    Path index = Path.of(args[0]);
    Path beir = Path.of(args.length > 1 ? args[1] : "../shared/data/beir/scifact");
    int depth = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    Principal reader = Principal.of("eval");
    try (OnnxEmbedder embedder = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 2);
        ContextEngine engine = ContextEngine.open(index, PolicyStore.open(pack), embedder)) {
      BeirDataset train = BeirDataset.load(beir, Splits.TRAIN);
      Map<String, Lists> trainLists = rankings(engine, reader, train, depth);
      List<Fusion> grid = new ArrayList<>();
      for (int k : new int[] {1, 5, 10, 20, 40, 60, 100}) {
        for (double w : new double[] {0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0}) {
          for (boolean byDocument : new boolean[] {false, true}) {
            grid.add(new Fusion(k, w, byDocument));
          }
        }
      }
      Fusion best = null;
      double bestNdcg = -1;
      System.out.printf("train (%d queries), nDCG@10:%n", train.queries().size());
      for (Fusion f : grid) {
        double ndcg = ndcg(train, trainLists, f);
        System.out.printf("  %-40s %.4f%n", f, ndcg);
        if (ndcg > bestNdcg + 1e-9) { // ties keep the earlier (simpler) setting
          best = f;
          bestNdcg = ndcg;
        }
      }
      Fusion engineDefault = new Fusion(60, 1.0, true);
      System.out.printf(
          "chosen on train: %s (%.4f; the engine's default %s: %.4f)%n",
          best, bestNdcg, engineDefault, ndcg(train, trainLists, engineDefault));
      BeirDataset test = BeirDataset.load(beir, Splits.TEST);
      Map<String, Lists> testLists = rankings(engine, reader, test, depth);
      System.out.printf(
          "test (%d queries, once): chosen %.4f, default %.4f%n",
          test.queries().size(), ndcg(test, testLists, best), ndcg(test, testLists, engineDefault));
    }
  }

  private static Map<String, Lists> rankings(
      ContextEngine engine, Principal reader, BeirDataset set, int depth) {
    Map<String, Lists> out = new HashMap<>();
    for (Map.Entry<String, String> q : set.queries().entrySet()) {
      Ranked r = engine.rankings(reader, q.getValue(), depth);
      List<String> bm25 = keys(r.retrievers().getOrDefault("bm25", List.of()));
      List<String> dense = keys(r.retrievers().getOrDefault("dense", List.of()));
      out.put(q.getKey(), new Lists(documents(bm25), bm25, documents(dense), dense));
    }
    return out;
  }

  private static List<String> keys(List<Ranked.Scored> scored) {
    return scored.stream().map(Ranked.Scored::key).toList();
  }

  private static List<String> documents(List<String> keys) {
    return keys.stream().map(k -> k.substring(0, k.lastIndexOf('#'))).toList();
  }

  private static double ndcg(BeirDataset set, Map<String, Lists> lists, Fusion f) {
    double sum = 0;
    for (Map.Entry<String, Map<String, Integer>> q : set.qrels().entrySet()) {
      Lists l = lists.get(q.getKey());
      if (l == null) {
        continue;
      }
      sum += RetrievalMetrics.ndcg(fuse(l, f), q.getValue(), 10);
    }
    return sum / set.qrels().size();
  }

  /** Documents in fused order (a document ranks where its best chunk does). */
  static List<String> fuse(Lists l, Fusion f) {
    Map<String, Double> scores = new HashMap<>();
    Map<String, String> documentOf = new HashMap<>();
    List<String> order = new ArrayList<>(); // first appearance, for ties
    add(f.byDocument() ? l.bm25Docs() : l.bm25Keys(), f.bm25Weight(), f.k(), scores, order);
    add(f.byDocument() ? l.denseDocs() : l.denseKeys(), 1.0, f.k(), scores, order);
    for (int i = 0; i < l.bm25Keys().size(); i++) {
      documentOf.put(l.bm25Keys().get(i), l.bm25Docs().get(i));
    }
    for (int i = 0; i < l.denseKeys().size(); i++) {
      documentOf.put(l.denseKeys().get(i), l.denseDocs().get(i));
    }
    List<String> ranked = new ArrayList<>(order);
    ranked.sort((a, b) -> Double.compare(scores.get(b), scores.get(a)));
    LinkedHashSet<String> docs = new LinkedHashSet<>();
    for (String key : ranked) {
      docs.add(f.byDocument() ? key : documentOf.get(key));
    }
    return new ArrayList<>(docs);
  }

  private static void add(
      List<String> items, double weight, int k, Map<String, Double> scores, List<String> order) {
    LinkedHashSet<String> seen = new LinkedHashSet<>();
    for (String item : items) {
      if (seen.add(item)) { // documents: a document ranks where its first chunk does
        if (!scores.containsKey(item)) {
          order.add(item);
        }
        scores.merge(item, weight / (k + seen.size()), Double::sum);
      }
    }
  }
}
