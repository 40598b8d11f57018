package dev.anvil.context.embed;

import static dev.anvil.context.embed.OnnxEmbedderTest.dot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged int8 all-MiniLM-L6-v2 ({@code all-minilm-l6-v2-q}): the same tokenizer, pooling and
 * width as the float model, vectors of its own that stay close to the float model's, and exactly
 * what langchain4j's quantized model computes from the same file.
 */
class QuantizedMiniLmTest {
  static final List<String> TEXTS =
      List.of(
          "A man is eating food.",
          "A man is eating a piece of bread.",
          "The girl is carrying a baby.",
          "Anvil filters every query inside the index, so an agent never sees a hidden chunk.",
          "short");

  private static OnnxEmbedder int8;
  private static OnnxEmbedder fp32;

  @BeforeAll
  static void open() {
    int8 = OnnxEmbedder.open(ModelSource.packaged(ModelSource.ALL_MINILM_L6_V2_Q), 1);
    fp32 = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 1);
  }

  @AfterAll
  static void close() {
    int8.close();
    fp32.close();
  }

  @Test
  void aSeparateModelOfTheSameShape() {
    assertThat(int8.modelId()).startsWith("all-minilm-l6-v2-q@").isNotEqualTo(fp32.modelId());
    assertThat(int8.dimension()).isEqualTo(384);
    assertThat(int8.config()).isEqualTo(fp32.config());
    assertThat(int8.maxTokens()).isEqualTo(fp32.maxTokens());
    assertThat(int8.countTokens(TEXTS.get(3))).isEqualTo(fp32.countTokens(TEXTS.get(3)));
  }

  @Test
  void itsVectorsStayCloseToTheFloatModelsAndRankAlike() {
    float[][] q = int8.embedDocuments(TEXTS);
    float[][] f = fp32.embedDocuments(TEXTS);
    for (int i = 0; i < TEXTS.size(); i++) {
      assertThat(dot(q[i], q[i])).isCloseTo(1.0, within(1e-5));
      assertThat(dot(q[i], f[i]))
          .as("cosine to the float vector of %s", TEXTS.get(i))
          .isGreaterThan(0.95);
    }
    assertThat(dot(q[0], q[1])).isGreaterThan(dot(q[0], q[2]) + 0.2);
  }

  @Test
  void aTextsVectorNeverDependsOnWhatItIsEmbeddedWithAndMatchesLangchain4js() {
    // One scale per batch tensor: batched, "short" would get another vector beside longer texts
    // (measured: cosine 0.969 to its vector alone). The embedder finds that out at open.
    assertThat(int8.batchSize()).isEqualTo(1);
    assertThat(fp32.batchSize()).isEqualTo(OnnxEmbedder.DEFAULT_BATCH_SIZE);
    AllMiniLmL6V2QuantizedEmbeddingModel reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
    float[][] batched = int8.embedDocuments(TEXTS);
    for (int i = 0; i < TEXTS.size(); i++) {
      float[] alone = int8.embedDocuments(List.of(TEXTS.get(i)))[0];
      assertThat(batched[i]).as(TEXTS.get(i)).containsExactly(alone, within(1e-6f));
      assertThat(alone)
          .as(TEXTS.get(i))
          .containsExactly(reference.embed(TEXTS.get(i)).content().vector(), within(1e-4f));
    }
  }
}
