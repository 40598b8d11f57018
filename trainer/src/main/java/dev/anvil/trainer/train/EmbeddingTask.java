package dev.anvil.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.anvil.eval.ExactSearch;
import dev.anvil.eval.RetrievalMetrics;
import dev.anvil.trainer.data.Example;
import dev.anvil.trainer.model.Autograd;
import dev.anvil.trainer.model.EncoderModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Embedding fine-tuning on (query, positive passage) pairs with MultipleNegativesRankingLoss: for
 * each query the other passages of the batch (and any hard negatives) are the negatives; the loss
 * is the cross-entropy of the scaled cosine similarities, with the query's own passage as the
 * answer. Evaluated by retrieval over the held-out passages: nDCG@10 and recall@10.
 */
public final class EmbeddingTask implements Task {
  private final EncoderModel model;
  private final double scale;

  public EmbeddingTask(EncoderModel model, double scale) {
    this.model = model;
    this.scale = scale;
  }

  @Override
  public String name() {
    return "embedding";
  }

  @Override
  public String metric() {
    return "ndcg@10";
  }

  @Override
  public Map<String, NDArray> headWeights() {
    return Map.of();
  }

  @Override
  public NDArray loss(List<Example> batch, NDManager manager) {
    List<String> queries = new ArrayList<>();
    List<String> passages = new ArrayList<>();
    List<String> negatives = new ArrayList<>();
    for (Example e : batch) {
      Example.Pair p = (Example.Pair) e;
      // As the model is served: with its prompts (BGE's query instruction), if it has any.
      queries.add(model.query(p.query()));
      passages.add(model.document(p.positive()));
      p.negative().ifPresent(n -> negatives.add(model.document(n)));
    }
    passages.addAll(negatives);
    NDArray q = model.embed(model.tokenize(queries, manager), true);
    NDArray d = model.embed(model.tokenize(passages, manager), true);
    NDArray similarities = q.matMul(d.transpose());
    // Not mul(scale): the graph keeps the factor (see Autograd.constant).
    NDArray scores = similarities.mul(Autograd.constant(similarities, (float) scale));
    // The i-th query's answer is the i-th passage.
    NDArray answers =
        manager
            .arange(0, queries.size(), 1, ai.djl.ndarray.types.DataType.INT64)
            .oneHot(passages.size());
    return scores.logSoftmax(1).mul(answers).sum(new int[] {1}).neg().mean();
  }

  @Override
  public Map<String, Double> evaluate(List<Example> heldOut) {
    // The held-out passages (and negatives), each once, numbered in order of appearance.
    Map<String, Integer> ids = new LinkedHashMap<>();
    for (Example e : heldOut) {
      Example.Pair p = (Example.Pair) e;
      ids.putIfAbsent(p.positive(), ids.size());
      p.negative().ifPresent(n -> ids.putIfAbsent(n, ids.size()));
    }
    float[][] docs = model.embed(ids.keySet().stream().map(model::document).toList(), 32);
    List<String> queries =
        heldOut.stream().map(e -> model.query(((Example.Pair) e).query())).toList();
    float[][] qs = model.embed(queries, 32);
    double ndcg = 0;
    double recall = 0;
    for (int i = 0; i < qs.length; i++) {
      List<String> ranked =
          ExactSearch.topK(qs[i], docs, 10).stream().map(String::valueOf).toList();
      Map<String, Integer> relevant =
          Map.of(String.valueOf(ids.get(((Example.Pair) heldOut.get(i)).positive())), 1);
      ndcg += RetrievalMetrics.ndcg(ranked, relevant, 10);
      recall += RetrievalMetrics.recall(ranked, relevant, 10);
    }
    return Map.of("ndcg@10", ndcg / qs.length, "recall@10", recall / qs.length);
  }

  @Override
  public Map<String, Object> card() {
    return Map.of(
        "objective", "MultipleNegativesRankingLoss", "scale", scale, "pooling", "mean, normalized");
  }
}
