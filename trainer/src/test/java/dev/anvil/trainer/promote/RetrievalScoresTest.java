package dev.anvil.trainer.promote;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.ExactSearch;
import dev.anvil.eval.RetrievalMetrics;
import dev.anvil.modelcard.Prompts;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.model.EncoderModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate and the test report score a model as it embeds when served: queries and documents each
 * with the model's own prompt (bge-small asks its instruction before queries only), not bare.
 */
class RetrievalScoresTest {
  @TempDir Path dir;

  @Test
  void aModelIsScoredWithItsOwnPrompts() throws Exception {
    BeirDataset set =
        BeirDataset.load(TinyModels.beir(dir.resolve("set"), TinyModels.pairs(), "dev"), "dev");
    try (EncoderModel m =
        EncoderModel.fromHuggingFace(
            TinyModels.huggingFaceDir(dir.resolve("model")), Device.cpu(), 64)) {
      double bare = RetrievalScores.of(m, set).get("ndcg@10");
      m.withPrompts(new Prompts("what is known about ", "abstract: "));
      double prompted = RetrievalScores.of(m, set).get("ndcg@10");
      assertThat(prompted).isEqualTo(byHand(m, set)).isNotEqualTo(bare);
    }
  }

  /** nDCG@10 with each query and document prompted explicitly. */
  private static double byHand(EncoderModel m, BeirDataset set) {
    List<String> ids = set.corpus().stream().map(BeirDataset.Doc::id).toList();
    float[][] docs =
        m.embed(
            set.corpus().stream()
                .map(d -> m.document(d.title().isEmpty() ? d.text() : d.title() + "\n" + d.text()))
                .toList(),
            32);
    List<String> qids = new ArrayList<>(set.queries().keySet());
    double sum = 0;
    for (String q : qids) {
      float[] v = m.embed(List.of(m.query(set.queries().get(q))), 1)[0];
      List<String> ranked = ExactSearch.topK(v, docs, 100).stream().map(ids::get).toList();
      sum += RetrievalMetrics.ndcg(ranked, set.qrels().get(q), 10);
    }
    return sum / qids.size();
  }
}
