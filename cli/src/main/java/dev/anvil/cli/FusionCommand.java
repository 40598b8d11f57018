package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.embed.OnnxEmbedder;
import dev.anvil.context.search.Fusion;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.RetrievalMetrics;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.rbac.Principal;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code anvil eval fusion SNAPSHOT}: hybrid search's fusion constant chosen on the deployment's
 * own experts' judgments. Each candidate {@code k} runs the dev split's queries through the real
 * search (the caller's policy, the serving model), scored by nDCG@10 with the experts' grades; the
 * best is what {@code --fusion-k} should be. Only the dev split is read, so the queries a model is
 * reported on stay untouched.
 */
@Command(
    name = "fusion",
    description = {
      "Choose hybrid search's fusion constant (--fusion-k) on a judgment snapshot's dev split:",
      "nDCG@10 of each candidate k through the real search, as the given principal."
    },
    mixinStandardHelpOptions = true)
final class FusionCommand implements Callable<Integer> {
  /** The constants tried unless {@code --k} names others. */
  static final List<Integer> CANDIDATES = List.of(1, 2, 5, 10, 20, 40, 60, 100);

  @Mixin PolicyCommand.PackOption pack;
  @Mixin EngineOptions engineOptions;
  @Mixin PolicyCommand.PrincipalOptions principal;

  @Parameters(
      paramLabel = "SNAPSHOT",
      description = "A judgment snapshot's folder (anvil judge snapshot TASK --out DIR).")
  Path snapshot;

  @Option(
      names = "--k",
      split = ",",
      paramLabel = "K",
      description = "The constants to try (default: 1,2,5,10,20,40,60,100).")
  List<Integer> ks;

  /** nDCG@10 on the dev split for each {@code k} tried, in the order tried. */
  record Sweep(int queries, Map<Integer, Double> ndcg, int current) {
    /**
     * The best {@code k}: the current one unless another does strictly better; among equals, the
     * first tried.
     */
    int best() {
      int best = current;
      double top = ndcg.getOrDefault(current, Double.NEGATIVE_INFINITY);
      for (Map.Entry<Integer, Double> e : ndcg.entrySet()) {
        if (e.getValue() > top) {
          best = e.getKey();
          top = e.getValue();
        }
      }
      return best;
    }
  }

  @Override
  public Integer call() {
    List<Fusion> tried = new ArrayList<>();
    for (int k : ks == null ? CANDIDATES : ks) {
      try {
        tried.add(new Fusion(k));
      } catch (IllegalArgumentException e) {
        throw new ContextException("--k: " + e.getMessage());
      }
    }
    BeirDataset dev = JudgmentSnapshot.read(snapshot).expertSet();
    Principal who = principal.resolve(pack.pack());
    Sweep sweep;
    try (OnnxEmbedder embedder = engineOptions.embedder();
        ContextEngine engine = engineOptions.open(pack, embedder)) {
      sweep = sweep(engine, who, dev, tried);
    }
    PrintWriter out = pack.out();
    out.printf(
        "%d dev queries of snapshot %s, searched as %s%n",
        sweep.queries(), snapshot.getFileName(), who.subject());
    out.printf("%-6s %8s%n", "k", "nDCG@10");
    sweep
        .ndcg()
        .forEach(
            (k, v) ->
                out.printf(
                    Locale.ROOT,
                    "%-6d %8.4f%s%n",
                    k,
                    v,
                    k == sweep.current() ? "  (current --fusion-k)" : ""));
    int best = sweep.best();
    out.printf(
        best == sweep.current()
            ? "keep --fusion-k %d: no other k does better on these queries%n"
            : "set --fusion-k %d (Helm: contextEngine.search.fusionK)%n",
        best);
    return 0;
  }

  /**
   * Runs every dev query once per fusion tried (hybrid, the top 10 chunks), scoring the ranked
   * chunks ({@code documentId#chunk}) against the experts' grades; the engine fuses as before
   * after.
   */
  static Sweep sweep(ContextEngine engine, Principal who, BeirDataset dev, List<Fusion> tried) {
    Fusion current = engine.fusion();
    Map<Integer, Double> ndcg = new LinkedHashMap<>();
    try {
      for (Fusion f : tried) {
        engine.fuseWith(f);
        double sum = 0;
        for (Map.Entry<String, String> q : dev.queries().entrySet()) {
          List<String> ranked =
              engine
                  .search(
                      who,
                      new SearchRequest(q.getValue(), 10, 0, Map.of(), SearchRequest.Mode.HYBRID))
                  .hits()
                  .stream()
                  .map(FusionCommand::key)
                  .toList();
          sum += RetrievalMetrics.ndcg(ranked, dev.qrels().get(q.getKey()), 10);
        }
        ndcg.put(f.k(), sum / dev.queries().size());
      }
    } finally {
      engine.fuseWith(current);
    }
    return new Sweep(dev.queries().size(), ndcg, current.k());
  }

  /** A hit named as the snapshot names what it judged. */
  private static String key(SearchHit h) {
    return h.documentId() + "#" + h.chunk();
  }
}
