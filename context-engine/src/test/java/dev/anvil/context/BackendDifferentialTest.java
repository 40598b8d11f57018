package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.api.Document;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.index.elastic.TestCluster;
import dev.anvil.context.serving.ModelRegistry;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.RandomPolicies;
import dev.anvil.rbac.TestSeed;
import dev.anvil.rbac.input.PolicySource;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The backends compiled from the one filter AST are equal where it matters: random policy sets ×
 * random principals × random documents, the same documents in the embedded index and in a real
 * cluster node (Elasticsearch, then OpenSearch), and every search (BM25, dense, hybrid) returns the
 * same visible set, the same visible count and the same facets on both; every document is readable
 * on both or on neither; a delete by tags removes the same documents. Zero differences, or the seed
 * to replay them.
 */
@Tag("heavy")
@ExtendWith(TestSeed.class)
class BackendDifferentialTest {
  private static final List<String> ACTIONS = List.of("read", "ingest", "delete");
  private static final String SETUP =
      "- id: test-setup\n  effect: allow\n  actions: [read, ingest, delete]\n"
          + "  when: \"'test-setup' in principal.roles\"\n";
  private static final Principal SETUP_PRINCIPAL =
      new Principal("setup", Set.of("test-setup"), Set.of(), Map.of());
  private static final String[] WORDS =
      "kernel budget salary outage review contract cluster invoice roadmap audit".split(" ");
  private static final int ROUNDS = 3;
  private static final int DOCS = 60;
  private static final int PRINCIPALS = 8;
  private static final int GETS = 15;

  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(TestCluster.class)
  void everySearchSeesTheSameChunksInTheEmbeddedIndexAndInACluster(TestCluster cluster) {
    long base = TestSeed.RUN;
    List<String> differences = new ArrayList<>();
    int compared = 0;
    int partlyVisible = 0;
    for (int round = 0; round < ROUNDS; round++) {
      long seed = base + round;
      RandomPolicies gen = new RandomPolicies(seed);
      Random r = new Random(seed);
      PolicySource schema = new PolicySource("schema.yaml", gen.schemaYaml());
      PolicySet setup = PolicySet.parse(schema, List.of(new PolicySource("setup.yaml", SETUP)));
      PolicySet random =
          PolicySet.parse(
              schema, List.of(new PolicySource("policies.yaml", gen.policiesYaml(ACTIONS))));
      AtomicReference<PolicySet> inForce = new AtomicReference<>(setup);
      PolicyStore store = new PolicyStore(inForce::get);
      HashEmbedder embedder = HashEmbedder.of("hash", 16);
      try (ContextEngine lucene =
              ContextEngine.open(
                  tmp.resolve("lucene-" + round), store, embedder, OpenTelemetry.noop());
          ContextEngine clustered =
              ContextEngine.open(
                  tmp.resolve(cluster + "-" + round),
                  cluster.freshBackend(),
                  store,
                  embedder,
                  d -> {
                    throw new AssertionError("no model switch here");
                  },
                  ModelRegistry.none(),
                  OpenTelemetry.noop())) {
        List<Document> docs = new ArrayList<>();
        for (int i = 0; i < DOCS; i++) {
          StringBuilder body = new StringBuilder();
          for (int w = 0; w < 3 + r.nextInt(6); w++) {
            body.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
          }
          docs.add(new Document("doc-" + i, 1, "", body.toString().strip() + ".", "", gen.doc()));
        }
        List<IngestOutcome> inLucene = lucene.ingest(SETUP_PRINCIPAL, docs);
        assertThat(clustered.ingest(SETUP_PRINCIPAL, docs)).isEqualTo(inLucene);
        inForce.set(random);
        store.reload();
        List<dev.anvil.rbac.schema.TagDefinition> tags = List.copyOf(random.schema().tags());
        String facet = tags.getFirst().name();
        for (int p = 0; p < PRINCIPALS; p++) {
          Principal who = gen.principal();
          String label = "seed " + seed + " (rerun with -Danvil.seed=" + base + "), " + who;
          for (int q = 0; q < 4; q++) {
            String query = WORDS[r.nextInt(WORDS.length)] + " " + WORDS[r.nextInt(WORDS.length)];
            for (SearchRequest.Mode mode : SearchRequest.Mode.values()) {
              SearchRequest req = new SearchRequest(query, 200, 0, Map.of(), mode, List.of(facet));
              SearchResponse a = lucene.search(who, req);
              SearchResponse b = clustered.search(who, req);
              compared++;
              Set<String> seen = new TreeSet<>(a.documentIds());
              if (!seen.equals(new TreeSet<>(b.documentIds()))) {
                differences.add(
                    label
                        + " "
                        + mode
                        + " '"
                        + query
                        + "': lucene "
                        + seen
                        + ", "
                        + cluster
                        + " "
                        + new TreeSet<>(b.documentIds()));
              }
              if (a.visibleMatches() != b.visibleMatches()) {
                differences.add(
                    label
                        + " "
                        + mode
                        + " '"
                        + query
                        + "': visible "
                        + a.visibleMatches()
                        + " vs "
                        + b.visibleMatches());
              }
              if (!a.facets().equals(b.facets())) {
                differences.add(
                    label
                        + " "
                        + mode
                        + " '"
                        + query
                        + "': facets "
                        + a.facets()
                        + " vs "
                        + b.facets());
              }
              if (mode == SearchRequest.Mode.DENSE
                  && !seen.isEmpty()
                  && seen.size() < docs.size()) {
                partlyVisible++;
              }
            }
          }
          for (int g = 0; g < GETS; g++) {
            Document d = docs.get(r.nextInt(docs.size()));
            if (lucene.get(who, d.id()).isEmpty() != clustered.get(who, d.id()).isEmpty()) {
              differences.add(label + ": get(" + d.id() + ") differs");
            }
          }
        }
        Principal deleter = gen.principal();
        String tag = tags.get(r.nextInt(tags.size())).name();
        List<String> values = random.schema().tag(tag).orElseThrow().values();
        Map<String, List<String>> query =
            Map.of(
                tag,
                values.isEmpty()
                    ? List.of("u0", "s0")
                    : List.of(values.get(r.nextInt(values.size()))));
        long deletedInLucene = lucene.deleteWhere(deleter, query, WriteAudit.NONE);
        long deletedInCluster = clustered.deleteWhere(deleter, query, WriteAudit.NONE);
        if (deletedInLucene != deletedInCluster || lucene.chunkCount() != clustered.chunkCount()) {
          differences.add(
              "seed "
                  + seed
                  + ": delete "
                  + query
                  + " as "
                  + deleter
                  + ": "
                  + deletedInLucene
                  + " vs "
                  + deletedInCluster);
        }
        assertThat(lucene.filterDisagreements()).isZero();
        assertThat(clustered.filterDisagreements()).isZero();
      }
    }
    assertThat(differences).as("differences between the backends").isEmpty();
    assertThat(compared).isEqualTo(ROUNDS * PRINCIPALS * 4 * SearchRequest.Mode.values().length);
    assertThat(partlyVisible).as("searches that saw some but not all documents").isGreaterThan(10);
  }
}
