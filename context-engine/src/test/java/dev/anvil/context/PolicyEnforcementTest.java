package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.SearchHit;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.index.IndexSnapshot;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestSeed;
import dev.anvil.rbac.schema.TagDefinition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under the example policies, for several principals and thousands of queries: every returned chunk
 * is permitted by {@code decide}, the index filter never admits one that is not, every permitted
 * matching document is found by BM25 and by vectors, and counts include only what the user may see.
 */
@ExtendWith(TestSeed.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // one corpus per class; subclasses pick the backend
class PolicyEnforcementTest {
  private static final String[] WORDS =
      ("budget review incident payroll roadmap contract forecast engineer salary benefit hiring "
              + "policy security customer pricing release outage design kernel latency migration audit "
              + "vendor invoice quarter revenue lawsuit settlement compliance training onboarding bonus "
              + "equity promotion architecture database network storage cluster deploy rollback")
          .split(" ");
  @TempDir static Path indexDir; // static: made before @BeforeAll, one per class run
  private ContextEngine engine;
  private PolicySet policies;
  private final List<Document> docs = new ArrayList<>();
  private final Map<String, Set<String>> terms = new HashMap<>();
  private long seed;

  /**
   * Random hybrid queries per principal; a backend that answers over the network may ask fewer (its
   * equality with the embedded one over random policies is {@code BackendDifferentialTest}).
   */
  int hybridQueriesPerPrincipal() {
    return 120;
  }

  /** Opens the engine under test: over the embedded index here, another backend in subclasses. */
  ContextEngine open(PolicyStore store) {
    return ContextEngine.open(indexDir, store, SharedEmbedder.get());
  }

  @BeforeAll
  void indexCorpus() throws Exception {
    seed = TestSeed.RUN;
    Random r = new Random(seed);
    PolicyStore store = PolicyStore.open(TestPacks.example());
    policies = store.current();
    engine = open(store);
    for (int i = 0; i < 240; i++) {
      StringBuilder body =
          new StringBuilder("Record uniq" + (char) ('a' + i % 26) + "x" + i + " notes.");
      for (int s = 0; s < 2; s++) {
        body.append(' ');
        for (int w = 0; w < 6 + r.nextInt(6); w++) {
          body.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
        }
        body.setLength(body.length() - 1);
        body.append('.');
      }
      Map<String, Object> tags = randomTags(r);
      Document d =
          new Document(
              TestPacks.idFor(tags, "doc-" + i),
              1,
              "Note " + i,
              body.toString(),
              "test://" + i,
              tags);
      docs.add(d);
      terms.put(d.id(), analyze(d.title() + "\n" + d.body()));
    }
    // Each document by the connector of its source: no identity writes every source.
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    Map<String, List<Document>> byConnector = new HashMap<>();
    docs.forEach(
        d ->
            byConnector
                .computeIfAbsent(TestPacks.connectorFor(d.tags()), c -> new ArrayList<>())
                .add(d));
    for (var e : byConnector.entrySet()) {
      List<IngestOutcome> outcomes =
          engine.ingest(people.find(e.getKey()).orElseThrow(), e.getValue());
      assertThat(outcomes).allMatch(o -> o instanceof IngestOutcome.Indexed i && i.chunks() == 1);
    }
  }

  /** The position of a document in {@link #docs}: its id ends with doc-N (after its source). */
  private static int index(String id) {
    return Integer.parseInt(id.substring(id.lastIndexOf("doc-") + 4));
  }

  @AfterAll
  void close() {
    engine.close();
  }

  private Map<String, Object> randomTags(Random r) {
    Map<String, Object> tags = new HashMap<>();
    for (TagDefinition t : policies.schema().tags()) {
      if (!t.required() && r.nextBoolean()) {
        continue;
      }
      switch (t.type()) {
        case SET -> {
          List<String> members = new ArrayList<>();
          members.add(t.values().get(r.nextInt(t.values().size())));
          if (r.nextInt(3) == 0) {
            members.add(t.values().get(r.nextInt(t.values().size())));
          }
          tags.put(t.name(), members);
        }
        case ORDERED, ENUM -> tags.put(t.name(), t.values().get(r.nextInt(t.values().size())));
        case PRINCIPAL ->
            tags.put(t.name(), List.of("alice", "frank", "carl", "hannah").get(r.nextInt(4)));
        case STRING -> tags.put(t.name(), "wiki");
      }
    }
    return tags;
  }

  private static Set<String> analyze(String text) throws Exception {
    Set<String> out = new HashSet<>();
    try (Analyzer a = new EnglishAnalyzer();
        TokenStream ts = a.tokenStream("text", text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      ts.reset();
      while (ts.incrementToken()) {
        out.add(term.toString());
      }
      ts.end();
    }
    return out;
  }

  private static List<Principal> principals() {
    PrincipalDirectory dir = PrincipalDirectory.load(TestPacks.example().principalsFile());
    List<Principal> out = new ArrayList<>();
    for (String name :
        List.of("alice", "hannah", "harry", "frank", "erin", "lena", "carl", "mia")) {
      out.add(dir.find(name).orElseThrow());
    }
    out.add(Principal.of("nobody"));
    return out;
  }

  private boolean permitted(Principal p, Document d) {
    return policies.decide(p, Action.READ, policies.schema().validate(d.tags())).permitted();
  }

  @Test
  void everyPermittedDocumentIsFoundByKeywordsAndNoOtherIsReturned() {
    int queries = 0;
    for (Principal p : principals()) {
      int visible = 0;
      for (Document d : docs) {
        String unique = d.body().split(" ")[1];
        SearchResponse res =
            engine.search(p, new SearchRequest(unique, 5, 0, Map.of(), SearchRequest.Mode.BM25));
        queries++;
        if (permitted(p, d)) {
          visible++;
          assertThat(res.documentIds())
              .as("seed %d: %s must find %s", seed, p.subject(), d.id())
              .containsExactly(d.id());
          assertThat(res.hits().getFirst().policies()).isNotEmpty();
        } else {
          assertThat(res.hits())
              .as("seed %d: %s must not see %s", seed, p.subject(), d.id())
              .isEmpty();
          assertThat(res.visibleMatches()).isZero();
        }
      }
      assertThat(visible)
          .as("%s sees some but not all documents", p.subject())
          .isLessThan(docs.size());
    }
    assertThat(queries).isGreaterThanOrEqualTo(2000);
    assertThat(engine.filterDisagreements()).isZero();
  }

  @Test
  void everyPermittedDocumentIsFoundByItsVectorAndNoOtherIsReturned() {
    Random r = new Random(seed);
    assertThat(engine.chunkCount()).as("one chunk per document").isEqualTo(docs.size());
    for (Principal p : principals()) {
      long maySee = docs.stream().filter(d -> permitted(p, d)).count();
      for (int k = 0; k < 25; k++) {
        Document d = docs.get(r.nextInt(docs.size()));
        SearchResponse res =
            engine.search(
                p,
                new SearchRequest(
                    d.title() + ". " + d.body(), 10, 0, Map.of(), SearchRequest.Mode.DENSE));
        res.hits().forEach(h -> assertThat(permitted(p, docs.get(index(h.documentId())))).isTrue());
        // A dense search counts every chunk the user may see, hidden ones never.
        assertThat(res.visibleMatches())
            .as("seed %d: chunks %s may see", seed, p.subject())
            .isEqualTo(Math.min(maySee, IndexSnapshot.COUNTED_EXACTLY_UP_TO));
        assertThat(res.visibleMatchesExact())
            .isEqualTo(maySee <= IndexSnapshot.COUNTED_EXACTLY_UP_TO);
        if (permitted(p, d)) {
          assertThat(res.hits().getFirst().documentId())
              .as("seed %d: nearest for %s", seed, p.subject())
              .isEqualTo(d.id());
        } else {
          assertThat(res.documentIds()).doesNotContain(d.id());
        }
      }
    }
    assertThat(engine.filterDisagreements()).isZero();
  }

  @Test
  void randomHybridQueriesReturnOnlyPermittedChunksAndCountOnlyVisibleMatches() {
    Random r = new Random(seed + 1);
    int queries = 0;
    for (Principal p : principals()) {
      for (int k = 0; k < hybridQueriesPerPrincipal(); k++) {
        String w1 = WORDS[r.nextInt(WORDS.length)];
        String w2 = WORDS[r.nextInt(WORDS.length)];
        SearchResponse res =
            engine.search(
                p,
                new SearchRequest(
                    w1 + " " + w2,
                    20,
                    0,
                    Map.of(),
                    SearchRequest.Mode.HYBRID,
                    List.of("department")));
        queries++;
        Set<String> queryTerms = new HashSet<>();
        try {
          queryTerms.addAll(analyze(w1 + " " + w2));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
        long expectedVisible =
            docs.stream()
                .filter(d -> permitted(p, d))
                .filter(d -> terms.get(d.id()).stream().anyMatch(queryTerms::contains))
                .count();
        assertThat(res.visibleMatches())
            .as("seed %d: visible matches of '%s %s' for %s", seed, w1, w2, p.subject())
            .isEqualTo(expectedVisible);
        Map<String, Long> expectedFacets = new java.util.TreeMap<>();
        docs.stream()
            .filter(d -> permitted(p, d))
            .filter(d -> terms.get(d.id()).stream().anyMatch(queryTerms::contains))
            .forEach(
                d ->
                    new java.util.TreeSet<>((List<?>) d.tags().get("department"))
                        .forEach(v -> expectedFacets.merge(v.toString(), 1L, Long::sum)));
        assertThat(res.facets().get("department"))
            .as("seed %d: department facets for %s", seed, p.subject())
            .isEqualTo(expectedFacets);
        for (SearchHit h : res.hits()) {
          Document d = docs.get(index(h.documentId()));
          assertThat(permitted(p, d)).as("seed %d: %s got %s", seed, p.subject(), d.id()).isTrue();
        }
        assertThat(res.policyVersion()).isEqualTo(policies.version());
      }
    }
    assertThat(queries).isGreaterThanOrEqualTo(principals().size() * hybridQueriesPerPrincipal());
    assertThat(engine.filterDisagreements()).isZero();
  }
}
