package dev.anvil.context.serving;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.embed.Embedder;
import dev.anvil.context.embed.ForwardingEmbedder;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.embed.InputType;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Ingest's embedding waits for running searches, a few texts at a time, and only then. */
class SearchesFirstTest {
  /** Records the size and kind of each call. */
  static final class Recording extends ForwardingEmbedder {
    final List<Integer> calls = new CopyOnWriteArrayList<>();
    final List<InputType> types = new CopyOnWriteArrayList<>();
    final Embedder hash = HashEmbedder.of("hash", 4);

    @Override
    protected Embedder delegate() {
      return hash;
    }

    @Override
    public float[][] embed(InputType type, List<String> texts) {
      calls.add(texts.size());
      types.add(type);
      return hash.embed(type, texts);
    }
  }

  static List<String> texts(int n) {
    return IntStream.range(0, n).mapToObj(i -> "text " + i).toList();
  }

  @Test
  void withoutSearchesIngestEmbedsInFullBatchesAtOnce() {
    Recording embedder = new Recording();
    SearchesFirst first = new SearchesFirst(60_000);
    float[][] vectors = first.embedDocuments(embedder, texts(100));
    assertThat(embedder.calls).containsExactly(64, 36);
    assertThat(vectors).hasNumberOfRows(100);
    assertThat(vectors[99])
        .isEqualTo(embedder.hash.embedDocuments(List.of("text 99"))[0]); // order kept
    assertThat(embedder.types).containsOnly(InputType.DOCUMENT);
  }

  @Test
  void whileSearchesRunIngestWaitsBeforeEachFewTexts() {
    Recording embedder = new Recording();
    SearchesFirst first = new SearchesFirst(50);
    try (SearchesFirst.Turn search = first.search()) {
      long t = System.nanoTime();
      first.embedDocuments(embedder, texts(8));
      assertThat(embedder.calls).containsExactly(4, 4);
      assertThat(System.nanoTime() - t)
          .as("waited at most 50 ms before each slice, twice")
          .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
      assertThat(first.searching()).isEqualTo(1);
    }
    assertThat(first.searching()).isZero();
  }

  @Test
  void ingestGoesOnAsSoonAsTheLastSearchEnds() throws Exception {
    Recording embedder = new Recording();
    SearchesFirst first = new SearchesFirst(600_000);
    SearchesFirst.Turn one = first.search();
    SearchesFirst.Turn two = first.search();
    CompletableFuture<float[][]> ingest =
        CompletableFuture.supplyAsync(() -> first.embedDocuments(embedder, texts(4)));
    Thread.sleep(200);
    one.close();
    Thread.sleep(200);
    assertThat(ingest).as("still one search running").isNotDone();
    two.close();
    assertThat(ingest.get(30, TimeUnit.SECONDS)).hasNumberOfRows(4);
  }
}
