package dev.anvil.context.index.elastic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.index.ChunkRecord;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.RandomPolicies;
import dev.anvil.rbac.TestSeed;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.schema.DocTags;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The cluster index itself, on a real Elasticsearch node: the compiled filter selects exactly what
 * {@link Filter#matches} admits, document ids are data whatever they hold, a replacement leaves no
 * chunk of the version replaced, and an index that is not Anvil's is never written to.
 */
@Tag("heavy")
@ExtendWith(TestSeed.class)
class ElasticIndexTest {
  private static final ClusterNode NODE = ElasticNode.shared();

  private static PolicySet randomSet(RandomPolicies gen) {
    return PolicySet.parse(
        new PolicySource("schema.yaml", gen.schemaYaml()),
        List.of(new PolicySource("policies.yaml", gen.policiesYaml())));
  }

  private static float[][] vectors(int n, Random r) {
    float[][] v = new float[n][];
    for (int i = 0; i < n; i++) {
      v[i] = HashEmbedder.unit(r, 4);
    }
    return v;
  }

  private static void put(ElasticIndex index, String id, DocTags tags, int chunks, Random r) {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < chunks; i++) {
      texts.add("chunk " + i + " of " + id);
    }
    index.upsert(
        new Document(id, 1, "t", String.join(" ", texts), "test://x", Map.of()),
        tags,
        texts,
        new int[chunks],
        vectors(chunks, r));
  }

  @Test
  void theClusterSelectsExactlyWhatTheFilterMatches() {
    long base = TestSeed.RUN;
    int checked = 0;
    for (int round = 0; round < 8; round++) {
      long seed = base + round;
      RandomPolicies gen = new RandomPolicies(seed);
      PolicySet set = randomSet(gen);
      Random r = new Random(seed);
      List<DocTags> docs = new ArrayList<>();
      try (ElasticIndex index =
          ElasticIndex.open(NODE.freshConfig(), ".", "m", 4, "c", set.schema())) {
        for (int i = 0; i < 60; i++) {
          DocTags tags = set.schema().validate(gen.doc());
          docs.add(tags);
          put(index, "d" + i, tags, 1, r);
        }
        index.refresh();
        for (int p = 0; p < 10; p++) {
          Principal principal = gen.principal();
          Filter f = set.compile(principal, Action.READ).filter();
          Set<String> expected = new TreeSet<>();
          for (int i = 0; i < docs.size(); i++) {
            if (f.matches(docs.get(i))) {
              expected.add("d" + i);
            }
          }
          assertThat(new TreeSet<>(index.idsMatching(f)))
              .as("seed %d (rerun with -Danvil.seed=%d), filter %s", seed, base, f)
              .isEqualTo(expected);
          checked++;
        }
      }
    }
    assertThat(checked).isEqualTo(80);
  }

  @Test
  void documentIdsAreDataWhateverTheyHold() {
    PolicySet set = randomSet(new RandomPolicies(7));
    DocTags tags = set.schema().validate(new RandomPolicies(7).doc());
    List<String> ids =
        List.of(
            "a",
            "a#0",
            "a-0",
            "../a",
            "_all",
            "a\"},{\"delete\":{\"_id\":\"x\"}}",
            "a b\nc",
            "ünïcødé/文書",
            "x".repeat(Document.MAX_ID_LENGTH));
    Random r = new Random(1);
    try (ElasticIndex index =
        ElasticIndex.open(NODE.freshConfig(), ".", "m", 4, "c", set.schema())) {
      for (String id : ids) {
        put(index, id, tags, 2, r);
      }
      index.refresh();
      for (String id : ids) {
        assertThat(index.chunksOf(id, set.schema()))
            .as("chunks of %s", id)
            .extracting(ChunkRecord::id, ChunkRecord::chunk)
            .containsExactly(
                org.assertj.core.groups.Tuple.tuple(id, 0),
                org.assertj.core.groups.Tuple.tuple(id, 1));
      }
      index.delete("a");
      index.delete("_all");
      index.refresh();
      assertThat(index.documents().keySet())
          .containsExactlyInAnyOrderElementsOf(
              ids.stream().filter(i -> !i.equals("a") && !i.equals("_all")).toList());
      assertThat(index.chunkCount()).isEqualTo(2 * (ids.size() - 2));
    }
  }

  @Test
  void aReplacementLeavesNoChunkOfTheVersionReplaced() {
    PolicySet set = randomSet(new RandomPolicies(3));
    DocTags tags = set.schema().validate(new RandomPolicies(3).doc());
    Random r = new Random(2);
    try (ElasticIndex index =
        ElasticIndex.open(NODE.freshConfig(), ".", "m", 4, "c", set.schema())) {
      put(index, "long", tags, 5, r);
      index.refresh();
      put(index, "long", tags, 2, r); // in the same batch as a second write: refreshed in between
      index.delete("never-indexed");
      index.commit();
      assertThat(index.chunksOf("long", set.schema()))
          .extracting(ChunkRecord::chunk)
          .containsExactly(0, 1);
      assertThat(index.chunkCount()).isEqualTo(2);
      put(index, "long", tags, 3, r);
      put(index, "long", tags, 1, r); // the same id twice before a refresh
      index.refresh();
      assertThat(index.chunksOf("long", set.schema()))
          .extracting(ChunkRecord::chunk)
          .containsExactly(0);
    }
  }

  @Test
  void anIndexThatIsNotAnvilsIsRefusedAndLeftAlone() throws Exception {
    ElasticConfig config = NODE.freshConfig();
    String name = config.indexName(".");
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> created =
          http.send(
              HttpRequest.newBuilder(URI.create(NODE.url() + "/" + name))
                  .header("Content-Type", "application/json")
                  .PUT(
                      HttpRequest.BodyPublishers.ofString(
                          "{\"mappings\":{\"properties\":{\"payroll\":{\"type\":\"keyword\"}}}}"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(created.statusCode()).isEqualTo(200);
      PolicySet set = randomSet(new RandomPolicies(5));
      assertThatThrownBy(() -> ElasticIndex.open(config, ".", "m", 4, "c", set.schema()))
          .isInstanceOf(ContextException.class)
          .hasMessageContaining("index " + name + " exists but is not an Anvil chunk index");
      HttpResponse<String> mapping =
          http.send(
              HttpRequest.newBuilder(URI.create(NODE.url() + "/" + name + "/_mapping")).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(mapping.body()).doesNotContain("vector").doesNotContain("tags");
    }
  }
}
