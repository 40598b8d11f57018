package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.Change;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.InvalidRequestException;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.embed.Embedder;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Documents in, documents out: versions, rejections, chunking, deletes, budgets. */
class ContextEngineTest {
  @TempDir Path dir;
  ContextEngine engine;
  private final PrincipalDirectory people =
      PrincipalDirectory.load(TestPacks.example().principalsFile());
  private final Principal connector = people.find("kafka-connector").orElseThrow();
  private final Principal alice = people.find("alice").orElseThrow();

  @BeforeEach
  void open() {
    engine = open(SharedEmbedder.get());
  }

  /**
   * Opens the engine of this test over its index (the same index every time within one test) with
   * the example policies: the embedded backend here, another in subclasses.
   */
  ContextEngine open(Embedder embedder) {
    return ContextEngine.open(dir, PolicyStore.open(TestPacks.example()), embedder);
  }

  /** The checkpoint the index holds durably, read without the engine (closed by then). */
  Map<String, String> durableCheckpoint() {
    return dev.anvil.context.index.LuceneIndex.lastCheckpoint(dir);
  }

  @AfterEach
  void close() {
    engine.close();
  }

  private static Document eng(String id, long version, String body) {
    return new Document(
        id,
        version,
        "Title " + id,
        body,
        "test://" + id,
        Map.of("classification", "internal", "department", List.of("engineering")));
  }

  @Test
  void anAgentAskingAgainIsNotEmbeddedAgainButAnotherUserIs() {
    java.util.concurrent.atomic.AtomicInteger queries =
        new java.util.concurrent.atomic.AtomicInteger();
    Embedder shared = SharedEmbedder.get();
    engine.close();
    engine =
        open(
            new dev.anvil.context.embed.ForwardingEmbedder() {
              @Override
              protected Embedder delegate() {
                return shared;
              }

              @Override
              public float[][] embed(dev.anvil.context.embed.InputType type, List<String> texts) {
                if (type == dev.anvil.context.embed.InputType.QUERY) {
                  queries.addAndGet(texts.size());
                }
                return super.embed(type, texts);
              }
            });
    engine.ingest(connector, List.of(eng("a", 1, "The kernel schedules threads.")));
    SearchResponse first = engine.search(alice, SearchRequest.of("kernel threads", 5));
    SearchResponse again = engine.search(alice, SearchRequest.of("kernel threads", 5));
    assertThat(queries).hasValue(1);
    assertThat(again.hits()).isEqualTo(first.hits());
    engine.search(people.find("frank").orElseThrow(), SearchRequest.of("kernel threads", 5));
    assertThat(queries).hasValue(2); // the vector is never shared across users
  }

  @Test
  void olderAndEqualVersionsAreIgnoredAndSaySo() {
    assertThat(engine.ingest(connector, List.of(eng("a", 2, "Second version."))))
        .containsExactly(new IngestOutcome.Indexed("a", 2, 1));
    assertThat(engine.ingest(connector, List.of(eng("a", 1, "First version."))))
        .containsExactly(new IngestOutcome.Ignored("a", 1, 2));
    assertThat(engine.ingest(connector, List.of(eng("a", 2, "Again."))))
        .containsExactly(new IngestOutcome.Ignored("a", 2, 2));
    assertThat(engine.ingest(connector, List.of(eng("a", 3, "Third version."))))
        .containsExactly(new IngestOutcome.Indexed("a", 3, 1));
    assertThat(engine.get(alice, "a"))
        .singleElement()
        .satisfies(h -> assertThat(h.text()).isEqualTo("Third version."));
  }

  @Test
  void aStreamBatchHasTheOutcomesOfOneByOne() {
    List<IngestOutcome> out =
        engine.apply(
            List.of(
                new Change.Upsert(connector, eng("a", 1, "First.")),
                new Change.Upsert(connector, eng("a", 2, "Second.")),
                new Change.Upsert(connector, eng("a", 1, "First again.")),
                new Change.Upsert(connector, eng("b", 1, "Bee.")),
                new Change.Delete(connector, "b"),
                new Change.Delete(connector, "b"),
                new Change.Upsert(connector, eng("b", 1, "Bee again."))));
    engine.commit(Map.of("kafka.docs.0", "7"));
    assertThat(out)
        .containsExactly(
            new IngestOutcome.Indexed("a", 1, 1),
            new IngestOutcome.Indexed("a", 2, 1),
            new IngestOutcome.Ignored("a", 1, 2),
            new IngestOutcome.Indexed("b", 1, 1),
            new IngestOutcome.Deleted("b"),
            new IngestOutcome.Deleted("b"),
            new IngestOutcome.Indexed("b", 1, 1));
    assertThat(engine.get(alice, "a"))
        .singleElement()
        .satisfies(h -> assertThat(h.text()).isEqualTo("Second."));
    assertThat(engine.get(alice, "b"))
        .singleElement()
        .satisfies(h -> assertThat(h.text()).isEqualTo("Bee again."));
    assertThat(engine.checkpoint()).containsExactly(Map.entry("kafka.docs.0", "7"));
  }

  @Test
  void theCheckpointIsDurableWithTheDocumentsAndKeepsOtherKeys() {
    engine.apply(List.of(new Change.Upsert(connector, eng("a", 1, "A."))));
    engine.commit(Map.of("p.0", "1"));
    engine.commit(Map.of("p.1", "5"));
    engine.close();
    assertThat(durableCheckpoint()).containsExactly(Map.entry("p.0", "1"), Map.entry("p.1", "5"));
    engine = open(SharedEmbedder.get());
    assertThat(engine.checkpoint()).containsExactly(Map.entry("p.0", "1"), Map.entry("p.1", "5"));
    assertThat(engine.get(alice, "a")).hasSize(1);
  }

  @Test
  void aStreamDeleteNeedsTheDeletePermission() {
    engine.ingest(
        connector,
        List.of(
            eng("a", 1, "A."),
            new Document(
                "p",
                1,
                "",
                "Public.",
                "",
                Map.of("classification", "public", "department", List.of("engineering")))));
    Principal frank = people.find("frank").orElseThrow(); // finance: reads public pages only
    // A document frank may read but not delete: refused, by the policy that decides.
    assertThat(engine.apply(List.of(new Change.Delete(frank, "p"))))
        .singleElement()
        .isInstanceOf(IngestOutcome.Denied.class);
    // One frank may not even read looks absent: nothing is deleted, nothing is said.
    assertThat(engine.apply(List.of(new Change.Delete(frank, "a"))))
        .containsExactly(new IngestOutcome.Deleted("a"));
    assertThat(engine.get(alice, "a")).hasSize(1);
    assertThat(engine.get(alice, "p")).hasSize(1);
  }

  @Test
  void badDocumentsAreRejectedNamingTheFieldAndNeverIndexed() {
    List<IngestOutcome> out =
        engine.ingest(
            connector,
            List.of(
                new Document("untagged", 1, "", "Text.", "", Map.of()),
                new Document(
                    "badtag",
                    1,
                    "",
                    "Text.",
                    "",
                    Map.of("classification", "secret", "department", List.of("engineering"))),
                new Document(
                    " ",
                    1,
                    "",
                    "Text.",
                    "",
                    Map.of("classification", "public", "department", List.of("sales"))),
                new Document(
                    "empty",
                    1,
                    "",
                    " ",
                    "",
                    Map.of("classification", "public", "department", List.of("sales"))),
                eng("fine", 1, "Fine.")));
    assertThat(out.get(0))
        .isInstanceOfSatisfying(
            IngestOutcome.Rejected.class,
            r -> assertThat(r.field()).isEqualTo("tags.classification"));
    assertThat(out.get(1))
        .isInstanceOfSatisfying(
            IngestOutcome.Rejected.class,
            r -> assertThat(r.reason()).contains("'secret' is not allowed"));
    assertThat(out.get(2))
        .isInstanceOfSatisfying(
            IngestOutcome.Rejected.class, r -> assertThat(r.field()).isEqualTo("id"));
    assertThat(out.get(3))
        .isInstanceOfSatisfying(
            IngestOutcome.Rejected.class, r -> assertThat(r.field()).isEqualTo("body"));
    assertThat(out.get(4)).isInstanceOf(IngestOutcome.Indexed.class);
    assertThat(engine.chunkCount()).isEqualTo(1);
  }

  @Test
  void ingestNeedsTheIngestPermission() {
    Document hr =
        new Document(
            "hr",
            1,
            "",
            "Payroll.",
            "",
            Map.of("classification", "internal", "department", List.of("hr")));
    assertThat(engine.ingest(alice, List.of(hr)))
        .containsExactly(new IngestOutcome.Denied("hr", "default-deny"));
  }

  @Test
  void longBodiesAreChunkedAtSentencesWithinTheModelLimit() {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < 80; i++) {
      body.append("Sentence number ")
          .append(i)
          .append(" talks about kernels, clusters and latency budgets. ");
    }
    IngestOutcome o = engine.ingest(connector, List.of(eng("long", 1, body.toString()))).getFirst();
    assertThat(o)
        .isInstanceOfSatisfying(
            IngestOutcome.Indexed.class, i -> assertThat(i.chunks()).isGreaterThan(3));
    List<SearchHit> chunks = engine.get(alice, "long");
    assertThat(chunks)
        .allSatisfy(
            c -> {
              assertThat(c.text()).startsWith("Sentence number").endsWith(".");
              assertThat(c.tokens()).isLessThanOrEqualTo(256);
            });
    // Neighbouring chunks overlap by their boundary sentence.
    String lastOfFirst =
        chunks.get(0).text().substring(chunks.get(0).text().lastIndexOf("Sentence number"));
    assertThat(chunks.get(1).text()).startsWith(lastOfFirst);
  }

  @Test
  void theTokenBudgetKeepsWholeChunksBestFirst() {
    engine.ingest(
        connector,
        List.of(
            eng("k1", 1, "Kernel upgrades need a drain first."),
            eng(
                "k2",
                1,
                "Kernel kernel kernel notes, much longer than the other one, with many more words in it.")));
    SearchResponse all =
        engine.search(alice, new SearchRequest("kernel", 10, 0, Map.of(), SearchRequest.Mode.BM25));
    assertThat(all.hits()).hasSize(2);
    int first = all.hits().get(0).tokens();
    SearchResponse budgeted =
        engine.search(
            alice, new SearchRequest("kernel", 10, first, Map.of(), SearchRequest.Mode.BM25));
    assertThat(budgeted.hits()).hasSize(1);
    assertThat(budgeted.hits().getFirst().tokens()).isLessThanOrEqualTo(first);
  }

  @Test
  void deleteByTagQueryDeletesOnlyWhatTheCallerMayDelete() {
    engine.ingest(
        connector,
        List.of(
            eng("e1", 1, "One."),
            eng("e2", 1, "Two."),
            new Document(
                "h1",
                1,
                "",
                "HR.",
                "",
                Map.of("classification", "internal", "department", List.of("hr")))));
    assertThat(
            engine.deleteWhere(
                alice, Map.of("classification", List.of("internal")), WriteAudit.NONE))
        .isEqualTo(2);
    assertThat(engine.chunkCount()).isEqualTo(1);
    assertThatThrownBy(() -> engine.deleteWhere(alice, Map.of(), WriteAudit.NONE))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("filter");
  }

  @Test
  void anIndexRefusesAnotherEmbeddingModel() {
    engine.ingest(connector, List.of(eng("x", 1, "X.")));
    engine.close();
    assertThatThrownBy(() -> open(dev.anvil.context.embed.HashEmbedder.of("other@1", 384)))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("holds vectors of model all-minilm-l6-v2@");
    engine = open(SharedEmbedder.get());
  }

  @Test
  void anIndexRefusesChunksCutAnotherWay() {
    engine.ingest(connector, List.of(eng("x", 1, "X.")));
    engine.close();
    // The same model with a shorter token limit would cut every document differently.
    dev.anvil.context.embed.Embedder shorter =
        dev.anvil.context.embed.HashEmbedder.of(SharedEmbedder.get().modelId(), 384)
            .withMaxTokens(128);
    assertThatThrownBy(() -> open(shorter))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("holds chunks cut with 'sentences-v1 budget=230 overlap=24 title=24'")
        .hasMessageContaining("not 'sentences-v1 budget=102 overlap=24 title=24'")
        .hasMessageContaining("rebuild it");
    engine = open(SharedEmbedder.get());
    assertThat(engine.chunking()).isEqualTo("sentences-v1 budget=230 overlap=24 title=24");
  }
}
