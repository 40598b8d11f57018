package dev.anvil.trainer.promote;

import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.ExactSearch;
import dev.anvil.eval.RetrievalMetrics;
import dev.anvil.trainer.model.EncoderModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The mean retrieval metrics of an encoder on a BEIR set, by exact search over the whole embedded
 * corpus (title and text of each document, as the model's token limit cuts them): the one way the
 * gate and the test report score a model, so that their numbers compare.
 *
 * <p>Deterministic for a given model and set; not thread-safe only as far as the model is not.
 */
public final class RetrievalScores {
  /** The metrics measured: the gate's ({@code ndcg@10}, {@code recall@10}) and recall@100. */
  public static final List<String> METRICS = List.of("ndcg@10", "recall@10", "recall@100");

  private RetrievalScores() {}

  /** Each of {@link #METRICS}, averaged over the set's queries (0 for a set without any). */
  public static SortedMap<String, Double> of(EncoderModel model, BeirDataset set) {
    List<String> ids = set.corpus().stream().map(BeirDataset.Doc::id).toList();
    // Each side with the model's own prompt (bge asks its instruction before queries only).
    float[][] corpus =
        model.embed(
            set.corpus().stream()
                .map(
                    d ->
                        model.document(
                            d.title().isEmpty() ? d.text() : d.title() + "\n" + d.text()))
                .toList(),
            32);
    List<String> qids = new ArrayList<>(set.queries().keySet());
    float[][] queries =
        model.embed(qids.stream().map(set.queries()::get).map(model::query).toList(), 32);
    double ndcg10 = 0;
    double recall10 = 0;
    double recall100 = 0;
    for (int q = 0; q < qids.size(); q++) {
      // ExactSearch keeps corpus order among ties, so the first 10 of 100 are the top 10.
      List<String> ranked =
          ExactSearch.topK(queries[q], corpus, 100).stream().map(ids::get).toList();
      Map<String, Integer> relevant = set.qrels().get(qids.get(q));
      ndcg10 += RetrievalMetrics.ndcg(ranked, relevant, 10);
      recall10 += RetrievalMetrics.recall(ranked, relevant, 10);
      recall100 += RetrievalMetrics.recall(ranked, relevant, 100);
    }
    int n = Math.max(1, qids.size());
    SortedMap<String, Double> out = new TreeMap<>();
    out.put("ndcg@10", ndcg10 / n);
    out.put("recall@10", recall10 / n);
    out.put("recall@100", recall100 / n);
    return out;
  }
}
