package dev.anvil.bench;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.InputType;
import dev.anvil.context.embed.ModelSource;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.eval.BeirDataset;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where one search's time goes on one core, without the network: the query's embedding alone, then
 * the engine's search as alice (policy compiled, filter inside BM25 and kNN, fusion, chunks read
 * and decided once more) with the query vector already computed, for each mode. The corpus and
 * queries are {@link TlsLoadBenchmark}'s (SciFact, half hidden from alice), so the two benchmarks
 * explain each other: a search's serving rate can reach at most {@code embed / (embed + search)} of
 * the embedder's alone.
 *
 * <p>{@code java ... -cp bench/target/benchmarks.jar dev.anvil.bench.SearchCost [DOCS] [INDEX_DIR]
 * [BEIR_DIR]}: an existing INDEX_DIR (made by an earlier run) is searched as it is.
 */
public final class SearchCost {
  private SearchCost() {}

  public static void main(String[] args) throws Exception {
    int docs = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
    Path index =
        args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("anvil-search-cost");
    Path beir = Path.of(args.length > 2 ? args[2] : "../shared/data/beir/scifact");
    PolicyPack pack = new PolicyPack(PolicyBenchmark.findExamplePack());
    PrincipalDirectory people = PrincipalDirectory.load(pack.principalsFile());
    Principal alice = people.find("alice").orElseThrow();
    BeirDataset scifact = BeirDataset.load(beir, "train");
    List<String> queries = List.copyOf(scifact.queries().values());
    try (OnnxEmbedder onnx = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 1)) {
      boolean fresh = !Files.isDirectory(index) || isEmpty(index);
      Map<String, float[]> vectors = new HashMap<>();
      for (int i = 0; i < 50; i++) {
        onnx.embedQuery(queries.get(i));
      }
      long t = System.nanoTime();
      for (String q : queries) {
        vectors.put(q, onnx.embedQuery(q));
      }
      double embedMs = (System.nanoTime() - t) / 1e6 / queries.size();
      System.out.printf("embedding a query, 1 ONNX thread: %.2f ms%n", embedMs);
      try (ContextEngine engine =
          ContextEngine.open(index, PolicyStore.open(pack), new Precomputed(onnx, vectors))) {
        if (fresh) {
          List<dev.anvil.context.api.Document> corpus = TlsLoadBenchmark.corpus(scifact, docs);
          Principal connector = people.find("kafka-connector").orElseThrow();
          for (int i = 0; i < corpus.size(); i += 64) {
            engine.ingest(connector, corpus.subList(i, Math.min(corpus.size(), i + 64)));
          }
        }
        System.out.printf("index: %d chunks%n", engine.chunkCount());
        // Every mode warms the JIT up first; then each is measured 3 times over every query.
        for (boolean measured : new boolean[] {false, true}) {
          for (SearchRequest.Mode mode : SearchRequest.Mode.values()) {
            for (int pass = 0; pass < (measured ? 3 : 4); pass++) {
              long s = System.nanoTime();
              for (String q : queries) {
                engine.search(alice, new SearchRequest(q, 10, 0, Map.of(), mode));
              }
              double ms = (System.nanoTime() - s) / 1e6 / queries.size();
              if (measured) {
                System.out.printf(
                    "search %s, query vector given: %.3f ms (embed + search bounds serving at"
                        + " %.2f x the embedder)%n",
                    mode, ms, embedMs / (embedMs + ms));
              }
            }
          }
        }
      }
    }
  }

  private static boolean isEmpty(Path dir) throws java.io.IOException {
    try (var s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /** The real embedder, except that queries seen before come from a map (documents do not). */
  record Precomputed(Embedder real, Map<String, float[]> queries) implements Embedder {
    @Override
    public String modelId() {
      return real.modelId();
    }

    @Override
    public int dimension() {
      return real.dimension();
    }

    @Override
    public int maxTokens() {
      return real.maxTokens();
    }

    @Override
    public int countTokens(String text) {
      return real.countTokens(text);
    }

    @Override
    public float[][] embed(InputType type, List<String> texts) {
      if (type == InputType.QUERY && texts.size() == 1 && queries.containsKey(texts.get(0))) {
        return new float[][] {queries.get(texts.get(0))};
      }
      return real.embed(type, texts);
    }

    @Override
    public void close() {}
  }
}
