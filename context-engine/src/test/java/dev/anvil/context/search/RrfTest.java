package dev.anvil.context.search;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reciprocal rank fusion, of chunks and of documents. */
class RrfTest {
  // Chunks 0-2 belong to document A, 3-4 to B, 5 to C.
  private static final Map<Integer, String> DOCUMENT =
      Map.of(0, "A", 1, "A", 2, "A", 3, "B", 4, "B", 5, "C");

  private static String[] documents(int[] chunks) {
    return java.util.Arrays.stream(chunks).mapToObj(DOCUMENT::get).toArray(String[]::new);
  }

  private static List<Integer> chunks(List<Rrf.Fused> fused) {
    return fused.stream().map(Rrf.Fused::doc).toList();
  }

  @Test
  void chunksFuseAsCormackEtAlDefineIt() {
    List<Rrf.Fused> fused = Rrf.fuse(List.of(new int[] {3, 0}, new int[] {0, 5}), 60);
    assertThat(chunks(fused)).containsExactly(0, 3, 5);
    assertThat(fused.getFirst().score()).isEqualTo(1.0 / 62 + 1.0 / 61);
  }

  @Test
  void aDocumentBothRetrieversRankFirstByDifferentChunksWinsAsOneDocument() throws Exception {
    // BM25 finds A by chunk 0, the vectors find it by chunk 1; B is second in both, by chunk 3.
    List<int[]> rankings = List.of(new int[] {0, 3, 5}, new int[] {1, 3, 2});
    // By chunk, B's single chunk ranked second twice beats A's two chunks ranked first once each.
    assertThat(chunks(Rrf.fuse(rankings, 60)).getFirst()).isEqualTo(3);
    // By document, A is first in both lists: A's chunks first, then B's, then C's.
    List<Rrf.Fused> fused = Rrf.fuseByDocument(rankings, 60, RrfTest::documents);
    assertThat(chunks(fused)).containsExactly(0, 1, 2, 3, 5);
    assertThat(fused.get(0).score()).isEqualTo(2.0 / 61).isEqualTo(fused.get(2).score());
    assertThat(fused.get(3).score()).isEqualTo(2.0 / 62);
  }

  @Test
  void aDocumentRanksWhereItsFirstChunkDoesAmongDistinctDocuments() throws Exception {
    // List one: A, A, A, B: B is the second document, not the fourth chunk.
    List<Rrf.Fused> fused =
        Rrf.fuseByDocument(
            List.of(new int[] {0, 1, 2, 3}, new int[] {5, 3}), 60, RrfTest::documents);
    assertThat(fused.stream().filter(f -> f.doc() == 3).findFirst().orElseThrow().score())
        .isEqualTo(1.0 / 62 + 1.0 / 62);
    assertThat(chunks(fused).getFirst()).isEqualTo(3); // B: second in both
  }

  @Test
  void aSingleListKeepsItsOrderAndTiesKeepFirstAppearance() throws Exception {
    assertThat(chunks(Rrf.fuseByDocument(List.of(new int[] {3, 0, 4}), 60, RrfTest::documents)))
        .containsExactly(3, 0, 4);
    // A (first list's first) and C (second list's first) tie: A appeared first.
    assertThat(
            chunks(
                Rrf.fuseByDocument(List.of(new int[] {0}, new int[] {5}), 60, RrfTest::documents)))
        .containsExactly(0, 5);
  }

  @Test
  void aSmallKTrustsOneRetrieversFirstRankOverBothRetrieversFourth() throws Exception {
    // A is first in one list only; B is fourth in both (the gaps are chunks of other documents).
    List<int[]> rankings = List.of(new int[] {0, 5, 6, 3}, new int[] {7, 8, 9, 3});
    assertThat(chunks(Rrf.fuse(rankings, 60)).getFirst()).isEqualTo(3); // 2/64 > 1/61
    assertThat(chunks(Rrf.fuse(rankings, 1)).getFirst()).isEqualTo(0); // 1/2 > 2/5
  }

  @Test
  void aFusionConstantOutsideItsRangeIsRefusedNamingIt() {
    assertThat(new Fusion(1).k()).isEqualTo(1);
    assertThat(Fusion.DEFAULT.k()).isEqualTo(60);
    for (int k : new int[] {0, -1, Fusion.MAX_K + 1}) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Fusion(k))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("fusion k")
          .hasMessageContaining(String.valueOf(k));
    }
  }
}
