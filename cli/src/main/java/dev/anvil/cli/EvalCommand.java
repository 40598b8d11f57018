package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.Document;
import dev.anvil.context.SearchRequest;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.RetrievalMetrics;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code anvil eval beir DIR}: nDCG@10 and recall@100 of BM25, dense and hybrid search. */
@Command(
    name = "eval",
    description = "Evaluate retrieval.",
    mixinStandardHelpOptions = true,
    subcommands = {EvalCommand.Beir.class})
final class EvalCommand {

  @Command(
      name = "beir",
      description = {
        "Index a BEIR folder (corpus.jsonl, queries.jsonl, qrels/) as public documents and report",
        "nDCG@10 and recall@100 for BM25, dense and hybrid search through the full engine."
      })
  static final class Beir implements Callable<Integer> {
    @Mixin PolicyCommand.PackOption pack;
    @Mixin EngineOptions engineOptions;

    @Parameters(
        paramLabel = "DIR",
        description = "The BEIR folder, e.g. ../shared/data/beir/scifact.")
    Path dir;

    @Option(
        names = "--split",
        defaultValue = "test",
        description = "qrels split (default: ${DEFAULT-VALUE}).")
    String split;

    @Override
    public Integer call() {
      PrintWriter out = pack.out();
      BeirDataset data = BeirDataset.load(dir, split);
      Path index =
          engineOptions.index != null
              ? engineOptions.index
              : Identities.dataDir().resolve("eval").resolve(dir.getFileName().toString());
      // Every document public and company-wide: the example policies let anyone read it.
      Map<String, Object> tags =
          Map.of("classification", "public", "department", List.of("all-staff"));
      Principal reader = Principal.of("eval");
      Principal writer =
          new Principal(
              "eval-writer", java.util.Set.of("ingest-service"), java.util.Set.of(), Map.of());
      try (OnnxEmbedder embedder = engineOptions.embedder();
          ContextEngine engine =
              ContextEngine.open(index, PolicyStore.open(pack.pack()), embedder)) {
        long t0 = System.nanoTime();
        if (engine.chunkCount() == 0) {
          List<Document> docs = new ArrayList<>();
          for (BeirDataset.Doc d : data.corpus()) {
            docs.add(new Document(d.id(), 1, d.title(), d.text(), "beir:" + d.id(), tags));
          }
          try (ProgressBar bar = Progress.bar("index", docs.size())) {
            for (int i = 0; i < docs.size(); i += 64) {
              engine.ingest(writer, docs.subList(i, Math.min(docs.size(), i + 64)));
              bar.stepTo(Math.min(docs.size(), i + 64));
            }
          }
          out.printf(
              "indexed %d documents as %d chunks in %.1f s (%s)%n",
              docs.size(), engine.chunkCount(), (System.nanoTime() - t0) / 1e9, engine.modelId());
        } else {
          out.printf("reusing the index at %s (%d chunks)%n", index, engine.chunkCount());
        }
        out.printf("%-7s %8s %11s %9s%n", "mode", "nDCG@10", "recall@100", "ms/query");
        for (SearchRequest.Mode mode : SearchRequest.Mode.values()) {
          double ndcg = 0;
          double recall = 0;
          long start = System.nanoTime();
          for (Map.Entry<String, String> q : data.queries().entrySet()) {
            // Chunks are retrieved; a document ranks where its best chunk does.
            var res =
                engine.search(reader, new SearchRequest(q.getValue(), 400, 0, Map.of(), mode));
            List<String> ranked =
                new ArrayList<>(
                    new LinkedHashSet<>(res.hits().stream().map(h -> h.documentId()).toList()));
            Map<String, Integer> rel = data.qrels().get(q.getKey());
            ndcg += RetrievalMetrics.ndcg(ranked, rel, 10);
            recall += RetrievalMetrics.recall(ranked, rel, 100);
          }
          int n = data.queries().size();
          out.printf(
              "%-7s %8.4f %11.4f %9.1f%n",
              mode.name().toLowerCase(java.util.Locale.ROOT),
              ndcg / n,
              recall / n,
              (System.nanoTime() - start) / 1e6 / n);
          out.flush();
        }
      }
      return 0;
    }
  }
}
