package dev.anvil.context.embed;

import static dev.anvil.context.embed.OnnxEmbedderTest.dot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.anvil.modelcard.Pooling;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged bge-small-en-v1.5 (a teacher for distillation) through ONNX Runtime: CLS pooling and
 * the query instruction, read from its packaged sentence-transformers files.
 */
class BgeSmallTest {
  static final String INSTRUCTION = "Represent this sentence for searching relevant passages: ";

  private static OnnxEmbedder bge;

  @BeforeAll
  static void open() {
    bge = OnnxEmbedder.open(ModelSource.packaged(ModelSource.BGE_SMALL_EN_V15), 1);
  }

  @AfterAll
  static void close() {
    bge.close();
  }

  @Test
  void loadsFromItsJarAndRanksSimilarSentencesCloser() {
    float[][] v =
        bge.embedDocuments(
            List.of(
                "A man is eating food.",
                "A man is eating a piece of bread.",
                "The girl is carrying a baby."));
    assertThat(bge.modelId()).startsWith("bge-small-en-v1.5@");
    assertThat(bge.dimension()).isEqualTo(384);
    assertThat(bge.config().pooling()).isEqualTo(Pooling.CLS);
    assertThat(dot(v[0], v[0])).isCloseTo(1.0, within(1e-5));
    assertThat(dot(v[0], v[1])).isGreaterThan(dot(v[0], v[2]) + 0.2);
    assertThat(dot(v[1], v[2])).isLessThan(dot(v[0], v[1]));
  }

  @Test
  void aQueryIsEmbeddedAsTheInstructionAndItsTextWouldBeAsADocument() {
    String query = "What do plants make from light?";
    assertThat(bge.embedQuery(query))
        .containsExactly(bge.embedDocuments(List.of(INSTRUCTION + query))[0], within(1e-6f));
    assertThat(dot(bge.embedQuery(query), bge.embedDocuments(List.of(query))[0]))
        .as("the instruction changes the query's vector")
        .isLessThan(0.99);
  }

  @Test
  void theInstructionHelpsAQueryFindItsPassage() {
    String query = "What do plants make from light?";
    float[][] passages =
        bge.embedDocuments(
            List.of(
                "Photosynthesis converts light energy into chemical energy stored in glucose.",
                "The stock market fell sharply on Monday after the announcement."));
    float[] q = bge.embedQuery(query);
    assertThat(dot(q, passages[0])).isGreaterThan(dot(q, passages[1]) + 0.2);
  }

  @Test
  void documentsMatchLangchain4jsClsPoolingToOneTenThousandth() {
    // langchain4j runs the same .onnx with its own CLS pooling and normalisation; it adds no
    // prefix, so documents (which get none) are comparable.
    List<String> texts =
        List.of(
            "Anvil filters every query inside the index.",
            "short",
            "A considerably longer sentence, with punctuation; numbers like 42 and 3.14, and some"
                + " rarer words: photosynthesis, epistemology.");
    BgeSmallEnV15EmbeddingModel reference = new BgeSmallEnV15EmbeddingModel();
    float[][] ours = bge.embedDocuments(texts);
    for (int i = 0; i < texts.size(); i++) {
      float[] theirs = reference.embed(texts.get(i)).content().vector();
      assertThat(ours[i]).as(texts.get(i)).containsExactly(theirs, within(1e-4f));
    }
  }
}
