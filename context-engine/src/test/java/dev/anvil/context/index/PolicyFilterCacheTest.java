package dev.anvil.context.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.api.Document;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.filter.Filter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A policy filter's cached bit set is reused by later searches, and never admits what the index no
 * longer holds under the tags that made it admissible: a document re-tagged out of a user's reach
 * disappears from that user's next search although the user's filter, unchanged, stays cached.
 */
class PolicyFilterCacheTest {
  @TempDir Path dir;

  @Test
  void aCachedFilterIsReusedAndFollowsEveryChangeOfTheIndex() {
    PolicySet set = PolicyStore.open(TestPacks.example()).current();
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    Principal alice = people.find("alice").orElseThrow();
    Principal harry = people.find("harry").orElseThrow();
    Filter aliceReads = set.compile(alice, Action.READ).filter();
    Filter harryReads = set.compile(harry, Action.READ).filter();
    Map<String, Object> engineering =
        Map.of("classification", "internal", "department", List.of("engineering"));
    Map<String, Object> hr = Map.of("classification", "internal", "department", List.of("hr"));
    float[] vector = unit(0);

    try (LuceneIndex index = LuceneIndex.open(dir, "test-model", "test-chunking")) {
      upsert(index, set, "roadmap", 1, engineering, vector);
      upsert(index, set, "other", 1, hr, unit(1));
      index.refresh();

      assertThat(visible(index, aliceReads, vector)).containsExactly("roadmap");
      long hits = index.filterCacheHits();
      assertThat(visible(index, aliceReads, vector)).containsExactly("roadmap");
      assertThat(index.filterCacheHits())
          .as("alice's second search reads her filter's bit set, for BM25 and for kNN")
          .isGreaterThanOrEqualTo(hits + 2);

      // The same id, now HR's: alice's cached filter must not keep the old chunk in reach.
      upsert(index, set, "roadmap", 2, hr, vector);
      index.refresh();
      assertThat(visible(index, aliceReads, vector)).isEmpty();
      assertThat(visible(index, harryReads, vector)).containsExactlyInAnyOrder("roadmap", "other");

      upsert(index, set, "roadmap", 3, engineering, vector);
      index.refresh();
      assertThat(visible(index, aliceReads, vector)).containsExactly("roadmap");
      assertThat(visible(index, harryReads, vector)).containsExactly("other");
    }
  }

  /**
   * What BM25 and kNN return within the filter; both must agree (every test document matches the
   * query's word).
   */
  private static List<String> visible(LuceneIndex index, Filter filter, float[] vector) {
    return index.withSnapshot(
        s -> {
          List<String> byWords = ids(s, s.bm25("planning notes", filter, 10).orElseThrow().docs());
          List<String> byVector = ids(s, s.knn(vector, filter, 10).docs());
          assertThat(byVector).containsExactlyInAnyOrderElementsOf(byWords);
          return byWords;
        });
  }

  private static List<String> ids(IndexSnapshot s, int[] docs) throws java.io.IOException {
    PolicySet set = PolicyStore.open(TestPacks.example()).current();
    List<String> out = new java.util.ArrayList<>();
    for (int doc : docs) {
      out.add(s.read(doc, set.schema()).id());
    }
    return out;
  }

  private static void upsert(
      LuceneIndex index,
      PolicySet set,
      String id,
      long version,
      Map<String, Object> tags,
      float[] vector) {
    index.upsert(
        new Document(id, version, "Planning", "planning notes", "test", tags),
        set.schema().validate(tags),
        List.of("planning notes"),
        new int[] {2},
        new float[][] {vector});
  }

  private static float[] unit(int axis) {
    float[] v = new float[8];
    v[axis] = 1;
    return v;
  }
}
