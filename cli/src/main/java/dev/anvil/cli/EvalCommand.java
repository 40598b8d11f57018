package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchRequest;
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
    subcommands = {EvalCommand.Beir.class, FusionCommand.class})
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

    /**
     * Who writes the corpus: a connector of documents without a source under the example policies
     * (it may read them too, so an interrupted build can resume over them).
     */
    static final Principal WRITER =
        new Principal(
            "eval-writer",
            java.util.Set.of("ingest-service"),
            java.util.Set.of(),
            Map.of("source", java.util.List.of("none")));

    /** The corpus as documents, each public and company-wide (anyone may read it). */
    static List<Document> documents(BeirDataset data) {
      Map<String, Object> tags =
          Map.of("classification", "public", "department", List.of("all-staff"));
      return data.corpus().stream()
          .map(d -> new Document(d.id(), 1, d.title(), d.text(), "beir:" + d.id(), tags))
          .toList();
    }

    @Override
    public Integer call() {
      PrintWriter out = pack.out();
      BeirDataset data = BeirDataset.load(dir, split);
      Path index =
          engineOptions.index != null
              ? engineOptions.index
              : Identities.dataDir().resolve("eval").resolve(dir.getFileName().toString());
      Principal reader = Principal.of("eval");
      Principal writer = WRITER;
      List<Document> docs = documents(data);
      String digest = CorpusIndex.digest(docs);
      try (OnnxEmbedder embedder = engineOptions.embedder()) {
        CorpusIndex.Plan plan =
            CorpusIndex.prepare(
                index,
                engineOptions.index == null,
                digest,
                docs.size(),
                embedder.modelId(),
                ContextEngine.chunking(embedder));
        try (ContextEngine engine =
            ContextEngine.open(index, PolicyStore.open(pack.pack()), embedder)) {
          engine.fuseWith(engineOptions.fusion());
          switch (plan) {
            case CorpusIndex.Plan.Reuse r ->
                out.printf(
                    "reusing the index at %s: complete (%d documents of %s, %d chunks, %s)%n",
                    index, docs.size(), digest, engine.chunkCount(), engine.modelId());
            case CorpusIndex.Plan.Build b -> build(out, engine, writer, docs, digest, "indexed");
            case CorpusIndex.Plan.Resume r -> {
              out.printf(
                  "resuming the index at %s: its build was interrupted after %d chunks%n",
                  index, engine.chunkCount());
              build(out, engine, writer, docs, digest, "completed");
            }
            case CorpusIndex.Plan.Rebuild r -> {
              out.printf("rebuilding the index at %s: %s%n", index, r.why());
              build(out, engine, writer, docs, digest, "indexed");
            }
          }
          evaluate(out, data, engine, reader);
        }
      }
      return 0;
    }

    private static void build(
        PrintWriter out,
        ContextEngine engine,
        Principal writer,
        List<Document> docs,
        String digest,
        String verb) {
      long t0 = System.nanoTime();
      try (ProgressBar bar = Progress.bar("index", docs.size())) {
        CorpusIndex.build(engine, writer, docs, digest, bar::stepTo);
      }
      out.printf(
          "%s %d documents as %d chunks in %.1f s (%s)%n",
          verb, docs.size(), engine.chunkCount(), (System.nanoTime() - t0) / 1e9, engine.modelId());
    }

    private static void evaluate(
        PrintWriter out, BeirDataset data, ContextEngine engine, Principal reader) {
      out.printf("%-7s %8s %11s %9s%n", "mode", "nDCG@10", "recall@100", "ms/query");
      for (SearchRequest.Mode mode : SearchRequest.Mode.values()) {
        double ndcg = 0;
        double recall = 0;
        long start = System.nanoTime();
        for (Map.Entry<String, String> q : data.queries().entrySet()) {
          // Chunks are retrieved; a document ranks where its best chunk does.
          var res = engine.search(reader, new SearchRequest(q.getValue(), 400, 0, Map.of(), mode));
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
  }
}
