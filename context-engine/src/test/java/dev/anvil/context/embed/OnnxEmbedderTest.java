package dev.anvil.context.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.anvil.modelcard.EncoderConfig;
import dev.anvil.modelcard.Pooling;
import dev.anvil.modelcard.Prompts;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real all-MiniLM-L6-v2 through ONNX Runtime, checked against langchain4j's own class. */
class OnnxEmbedderTest {
  private static OnnxEmbedder embedder;

  @BeforeAll
  static void open() {
    embedder = OnnxEmbedder.open(ModelSource.packagedMiniLm(), 1);
  }

  @AfterAll
  static void close() {
    embedder.close();
  }

  /** The dot product (the cosine of unit vectors); the embed package's tests share it. */
  static double dot(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  @Test
  void itIsTheRealModel() {
    float[][] v =
        embedder.embedDocuments(
            List.of(
                "A man is eating food.",
                "A man is eating a piece of bread.",
                "The girl is carrying a baby."));
    assertThat(embedder.dimension()).isEqualTo(384);
    assertThat(dot(v[0], v[0])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    assertThat(dot(v[0], v[1])).isCloseTo(0.7553, org.assertj.core.data.Offset.offset(1e-3));
    assertThat(dot(v[0], v[2])).isCloseTo(-0.1050, org.assertj.core.data.Offset.offset(1e-3));
    assertThat(embedder.modelId()).startsWith("all-minilm-l6-v2@");
  }

  @Test
  void matchesLangchain4jToOneTenThousandth() {
    List<String> texts =
        List.of(
            "Anvil filters every query inside the index.",
            "Compensation data never reaches engineering.",
            "short",
            "A considerably longer sentence, with punctuation; numbers like 42 and 3.14, and some rarer words: photosynthesis, epistemology.");
    AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
    float[][] ours = embedder.embedDocuments(texts);
    for (int i = 0; i < texts.size(); i++) {
      float[] theirs = reference.embed(texts.get(i)).content().vector();
      float maxDiff = 0;
      for (int d = 0; d < theirs.length; d++) {
        maxDiff = Math.max(maxDiff, Math.abs(theirs[d] - ours[i][d]));
      }
      assertThat(maxDiff).as("max |ours - langchain4j| for %s", texts.get(i)).isLessThan(1e-4f);
    }
  }

  @Test
  void batchingAndOrderDoNotChangeVectors() {
    List<String> texts =
        List.of("one two three four five six", "alpha", "a medium length text here");
    float[][] batched = embedder.embedDocuments(texts);
    for (int i = 0; i < texts.size(); i++) {
      float[] alone = embedder.embedDocuments(List.of(texts.get(i)))[0];
      for (int d = 0; d < alone.length; d++) {
        assertThat(batched[i][d]).isCloseTo(alone[d], org.assertj.core.data.Offset.offset(1e-5f));
      }
    }
  }

  @Test
  void sessionsSideBySideGiveEachTextItsOwnVectorInOrderUnderConcurrentCallers() throws Exception {
    List<String> texts = new java.util.ArrayList<>();
    for (int i = 0; i < 70; i++) {
      texts.add("text number " + i + " " + "with more words ".repeat(i % 9));
    }
    float[][] single = embedder.embedDocuments(texts);
    try (OnnxEmbedder three =
        OnnxEmbedder.open(
            ModelSource.packagedMiniLm(),
            EncoderConfig.DEFAULT,
            Parallelism.sessions(3),
            OnnxEmbedder.DEFAULT_MAX_TOKENS,
            OnnxEmbedder.DEFAULT_BATCH_SIZE)) {
      var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
      try {
        // Four callers at once on three sessions: each waits for one, helped by those free.
        List<java.util.concurrent.Future<float[][]>> calls = new java.util.ArrayList<>();
        for (int c = 0; c < 4; c++) {
          calls.add(pool.submit(() -> three.embedDocuments(texts)));
        }
        for (var call : calls) {
          float[][] parallel = call.get();
          for (int i = 0; i < texts.size(); i++) {
            assertThat(parallel[i]).as(texts.get(i)).containsExactly(single[i], within(1e-5f));
          }
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aSymmetricModelEmbedsAQueryAsADocument() {
    assertThat(embedder.config()).isEqualTo(EncoderConfig.DEFAULT);
    String text = "How do plants turn light into sugar?";
    assertThat(embedder.embedQuery(text))
        .containsExactly(embedder.embedDocuments(List.of(text))[0], within(1e-6f));
  }

  @Test
  void promptsGoBeforeQueriesAndDocumentsEachOnItsOwnSide() {
    // e5's convention, on MiniLM: what matters is which side gets which text.
    EncoderConfig e5Style = new EncoderConfig(Pooling.MEAN, new Prompts("query: ", "passage: "));
    try (OnnxEmbedder prompted =
        OnnxEmbedder.open(
            ModelSource.packagedMiniLm(),
            e5Style,
            Parallelism.sessions(1),
            OnnxEmbedder.DEFAULT_MAX_TOKENS,
            OnnxEmbedder.DEFAULT_BATCH_SIZE)) {
      String text = "Plants turn light into sugar.";
      float[] asQuery = prompted.embedQuery(text);
      float[] asDocument = prompted.embedDocuments(List.of(text))[0];
      assertThat(asQuery)
          .containsExactly(embedder.embedDocuments(List.of("query: " + text))[0], within(1e-6f));
      assertThat(asDocument)
          .containsExactly(embedder.embedDocuments(List.of("passage: " + text))[0], within(1e-6f));
      assertThat(dot(asQuery, asDocument)).isLessThan(0.999);
      // A chunk cut to maxTokens still fits whole after "passage: " ("passage", ":": 2 tokens).
      assertThat(prompted.maxTokens()).isEqualTo(embedder.maxTokens() - 2);
    }
  }

  @Test
  void countsTokensWithoutSpecials() {
    assertThat(embedder.countTokens("A man is eating food.")).isEqualTo(6);
  }
}
