package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchCancelledException;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A call's cancellation is asked inside Lucene (while BM25 scores documents and while the vector
 * search runs), and once it fires there the search stops with {@link SearchCancelledException},
 * returning nothing partial.
 */
class SearchCancellationTest {
  @TempDir Path dir;
  ContextEngine engine;
  final PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
  final Principal alice = people.find("alice").orElseThrow();

  @BeforeEach
  void open() {
    engine =
        ContextEngine.open(dir, PolicyStore.open(TestPacks.example()), HashEmbedder.of("hash", 16));
    Principal connector = people.find("kafka-connector").orElseThrow();
    List<Document> docs = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      docs.add(
          new Document(
              "d" + i,
              1,
              "Note " + i,
              "common words in every note, and number " + i,
              "test://" + i,
              i % 2 == 0
                  ? Map.of("classification", "internal", "department", List.of("engineering"))
                  : Map.of("classification", "confidential", "department", List.of("hr"))));
    }
    engine.ingest(connector, docs);
  }

  @AfterEach
  void close() {
    engine.close();
  }

  /** Cancelled from the first time Lucene asks; remembers which Lucene class asked. */
  static final class FiresInsideLucene implements Cancellation {
    volatile String askedBy;

    @Override
    public boolean isCancelled() {
      if (askedBy != null) {
        return true;
      }
      for (StackTraceElement e : Thread.currentThread().getStackTrace()) {
        if (e.getClassName().startsWith("org.apache.lucene.")) {
          askedBy = e.getClassName();
          return true;
        }
      }
      return false;
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = SearchRequest.Mode.class,
      names = {"BM25", "DENSE", "HYBRID"})
  void aCancellationFiringInsideLuceneStopsTheSearch(SearchRequest.Mode mode) {
    FiresInsideLucene cancellation = new FiresInsideLucene();
    SearchRequest request = new SearchRequest("common words", 10, 0, Map.of(), mode);

    assertThatThrownBy(() -> engine.search(alice, request, cancellation))
        .isInstanceOf(SearchCancelledException.class)
        .hasMessageContaining("deadline");
    assertThat(cancellation.askedBy)
        .as("asked by Lucene's own time-limited scorer or vector search")
        .matches(
            c ->
                c.startsWith("org.apache.lucene.search.TimeLimiting")
                    || c.startsWith("org.apache.lucene.search.AbstractKnnVectorQuery"),
            "a time-limiting Lucene class");
    // The next call, not cancelled, is served in full.
    assertThat(engine.search(alice, request).hits()).hasSize(10);
  }

  @Test
  void aCancellationFiringWhileChunksArePackedStopsTheSearch() {
    AtomicInteger asked = new AtomicInteger();
    // Let Lucene finish; fire on the questions asked while chunks are read.
    Cancellation late = () -> isPacking() && asked.incrementAndGet() > 2;
    assertThatThrownBy(() -> engine.search(alice, SearchRequest.of("common words", 10), late))
        .isInstanceOf(SearchCancelledException.class);
    assertThat(asked.get()).isEqualTo(3);
  }

  private static boolean isPacking() {
    for (StackTraceElement e : Thread.currentThread().getStackTrace()) {
      if (e.getMethodName().equals("pack")) {
        return true;
      }
    }
    return false;
  }

  @Test
  void aSearchThatIsNotCancelledAnswersExactlyAsOneWithoutCancellation() {
    for (SearchRequest.Mode mode : SearchRequest.Mode.values()) {
      SearchRequest request = new SearchRequest("number 42 common", 20, 0, Map.of(), mode);
      SearchResponse plain = engine.search(alice, request);
      SearchResponse watched = engine.search(alice, request, () -> false);
      assertThat(ids(watched)).as(mode.name()).isEqualTo(ids(plain)).isNotEmpty();
      assertThat(watched.visibleMatches()).isEqualTo(plain.visibleMatches());
      assertThat(ids(watched)).allMatch(id -> Integer.parseInt(id.substring(1)) % 2 == 0);
    }
  }

  private static List<String> ids(SearchResponse r) {
    return r.hits().stream().map(SearchHit::documentId).toList();
  }
}
