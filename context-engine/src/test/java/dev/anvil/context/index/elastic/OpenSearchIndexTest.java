package dev.anvil.context.index.elastic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.Document;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.index.IndexSnapshot;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.RandomPolicies;
import dev.anvil.rbac.TestSeed;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.input.PolicySource;
import dev.anvil.rbac.schema.DocTags;
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
 * What the OpenSearch dialect changes, on a real OpenSearch node (the rest of the backend is the
 * same requests as on Elasticsearch, proven by {@code BackendDifferentialTest} and {@code
 * OpenSearchPolicyEnforcementTest}): the kNN query runs inside the policy filter, so chunks nearer
 * the query that the user may not see neither come back nor take a place of the k, scored as on
 * Elasticsearch; and an index of the other product is refused when opened, not query by query.
 */
@Tag("heavy")
@ExtendWith(TestSeed.class)
class OpenSearchIndexTest {
  private static final ClusterNode NODE = OpenSearchNode.shared();
  private static final int DOCS = 120;
  private static final int K = 10;

  @Test
  void theNearestChunksTheUserMayNotSeeTakeNoPlaceOfTheK() {
    long base = TestSeed.RUN;
    int partly = 0;
    // Random policy sets until enough principals see some chunks but not all (one set alone may
    // admit everything or nothing to every principal it makes).
    for (int round = 0; round < 8 && partly <= 5; round++) {
      partly += principalsSeeingPart(base + round, base);
    }
    assertThat(partly).as("principals who see some but not all").isGreaterThan(5);
  }

  /** Checks the kNN of 40 random principals of one random set; returns how many saw a part. */
  private static int principalsSeeingPart(long seed, long base) {
    RandomPolicies gen = new RandomPolicies(seed);
    PolicySet set =
        PolicySet.parse(
            new PolicySource("schema.yaml", gen.schemaYaml()),
            List.of(new PolicySource("policies.yaml", gen.policiesYaml())));
    Random r = new Random(seed);
    float[] query = HashEmbedder.unit(r, 4);
    List<DocTags> tags = new ArrayList<>();
    int partly = 0;
    try (ElasticIndex index =
        ElasticIndex.open(
            NODE.freshConfig(), ClusterDialect.OPENSEARCH, ".", "m", 4, "c", set.schema())) {
      for (int i = 0; i < DOCS; i++) {
        DocTags t = set.schema().validate(gen.doc());
        tags.add(t);
        // Half the chunks lie right at the query: the nearest of all, whoever may see them.
        float[] v = i % 2 == 0 ? query.clone() : HashEmbedder.unit(r, 4);
        index.upsert(
            new Document("d" + i, 1, "t", "chunk of d" + i, "test://x", Map.of()),
            t,
            List.of("chunk of d" + i),
            new int[1],
            new float[][] {v});
      }
      index.refresh();
      for (int p = 0; p < 40; p++) {
        Principal who = gen.principal();
        Filter f = set.compile(who, Action.READ).filter();
        Set<String> admitted = new TreeSet<>();
        for (int i = 0; i < DOCS; i++) {
          if (f.matches(tags.get(i))) {
            admitted.add("d" + i);
          }
        }
        if (admitted.isEmpty() || admitted.size() == DOCS) {
          continue;
        }
        partly++;
        List<String> found =
            index.withSnapshot(
                Cancellation.NONE,
                s -> {
                  IndexSnapshot.Ranked ranked = s.knn(query, f, K);
                  List<String> ids = new ArrayList<>();
                  for (int i = 0; i < ranked.docs().length; i++) {
                    int doc = ranked.docs()[i];
                    ids.add(s.read(doc, set.schema()).id());
                    // Scored as Elasticsearch's dot_product scores unit vectors: (1 + cos) / 2.
                    assertThat(ranked.scores()[i])
                        .isCloseTo((1 + dot(query, s.vector(doc))) / 2, within(1e-4f));
                  }
                  return ids;
                });
        assertThat(found)
            .as("seed %d (rerun with -Danvil.seed=%d), filter %s", seed, base, f)
            .hasSize(Math.min(K, admitted.size()))
            .allMatch(admitted::contains);
      }
    }
    return partly;
  }

  private static float dot(float[] a, float[] b) {
    float d = 0;
    for (int i = 0; i < a.length; i++) {
      d += a[i] * b[i];
    }
    return d;
  }

  @Test
  void anIndexOfTheOtherProductIsRefusedWhenOpened() {
    ElasticConfig config = NODE.freshConfig();
    PolicySet set =
        PolicySet.parse(
            new PolicySource("schema.yaml", new RandomPolicies(9).schemaYaml()),
            List.of(new PolicySource("policies.yaml", new RandomPolicies(9).policiesYaml())));
    ElasticIndex.open(config, ClusterDialect.OPENSEARCH, ".", "m", 4, "c", set.schema()).close();
    assertThatThrownBy(
            () ->
                ElasticIndex.open(
                    config, ClusterDialect.ELASTICSEARCH, ".", "m", 4, "c", set.schema()))
        .isInstanceOf(ContextException.class)
        .hasMessageContaining("index " + config.indexName("."))
        .hasMessageContaining("maps its vectors as \"knn_vector\", not as dense_vector")
        .hasMessageContaining("is --backend right?");
  }
}
