package dev.anvil.judge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.judge.Item;
import dev.anvil.judge.ItemValue;
import dev.anvil.judge.spi.CorpusChunk;
import dev.anvil.judge.spi.Rankings;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Item values and the queue's order, worked out by hand. */
class ItemScorerTest {

  private static CorpusChunk chunk(String doc, float... vector) {
    return new CorpusChunk(doc, 1, 0, "", doc, Map.of(), vector);
  }

  @Test
  void aTeacherThatDisagreesWithBothRetrieversRaisesTheValue() {
    // bm25 and dense agree on x first, y second; the teacher ranks y first, x third (absent).
    Rankings r =
        new Rankings(
            List.of("x#0", "y#0"),
            Map.of(
                "bm25", List.of(new Rankings.Scored("x#0", 4), new Rankings.Scored("y#0", 2)),
                "dense", List.of(new Rankings.Scored("x#0", 0.8), new Rankings.Scored("y#0", 0.4)),
                "teacher", List.of(new Rankings.Scored("y#0", 0.9))),
            Map.of("x#0", chunk("x", 1, 0), "y#0", chunk("y", 0, 1)),
            "m",
            "p");
    List<ItemScorer.Scored> s = ItemScorer.score(List.of(new ItemScorer.QueryRankings(0, r)), 2);
    Map<String, ItemValue> byDoc =
        Map.of(
            s.get(0).chunk().documentId(), s.get(0).value(),
            s.get(1).chunk().documentId(), s.get(1).value());
    // x: ranks 1, 1 and absent (3): (3 - 1) / 2 = 1. y: 2, 2, 1: (2 - 1) / 2 = 0.5.
    assertThat(byDoc.get("x").disagreement()).isEqualTo(1.0);
    assertThat(byDoc.get("y").disagreement()).isEqualTo(0.5);
    // One query: it is the task's most uncertain and its most confident; margin 0.5 is the max.
    assertThat(byDoc.get("x").uncertainty()).isZero();
    assertThat(s.getFirst().chunk().documentId()).isEqualTo("x");
  }

  @Test
  void oneRetrieverAloneNeverDisagreesAndAQueryWithOneResultIsCertain() {
    assertThat(ItemScorer.disagreement(Map.of("bm25", 1), 1, 10)).isZero();
    Rankings one =
        new Rankings(
            List.of("x#0"),
            Map.of("bm25", List.of(new Rankings.Scored("x#0", 3))),
            Map.of("x#0", chunk("x")),
            "m",
            "p");
    assertThat(ItemScorer.margin(one, 10)).isInfinite();
    assertThat(
            ItemScorer.score(List.of(new ItemScorer.QueryRankings(0, one)), 10)
                .getFirst()
                .value()
                .score())
        .isZero();
  }

  private static Item item(String id, double score, int cluster) {
    return new Item(
        id,
        "t",
        "q",
        id,
        0,
        1,
        "",
        Map.of(),
        1,
        Map.of(),
        new ItemValue(0, 0, cluster, score),
        "",
        "");
  }

  @Test
  void theQueueSpreadsOverClustersButNotForWorthlessItems() {
    List<Item> picked =
        QueueOrder.select(
            List.of(
                item("a", 0.9, 0),
                item("b", 0.8, 0),
                item("c", 0.6, 1),
                item("d", 0.1, 2),
                item("e", 0.05, 3)),
            5);
    // a (0.9); then c (0.6) beats b (0.8 - 0.5); then b (0.3) beats d (0.1) and e.
    assertThat(picked).extracting(Item::id).containsExactly("a", "c", "b", "d", "e");
    assertThat(QueueOrder.select(List.of(item("z", 0.5, 0), item("y", 0.5, 1)), 2))
        .extracting(Item::id)
        .as("ties go to the id")
        .containsExactly("y", "z");
  }
}
