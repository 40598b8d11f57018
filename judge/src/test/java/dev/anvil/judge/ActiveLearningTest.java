package dev.anvil.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.anvil.store.TestStores.Backend;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue offers what a judgment is worth most for, on a small corpus whose numbers are worked
 * out by hand: a query whose top results are nearly tied (low margin), results the retrievers rank
 * far apart (disagreement), and alike chunks counted once (clusters).
 */
class ActiveLearningTest {
  @TempDir Path dir;

  /**
   * Margins (mean over retrievers of (s1 - s2) / s1): "confident" (0.8 + 0.667) / 2 = 0.733, "tied"
   * (0.02 + 0.0125) / 2 = 0.016, "split" (0.75 + 0.778) / 2 = 0.764 (the highest). Uncertainty = 1
   * - margin / 0.764: tied 0.979, confident 0.040, split 0. Disagreement at depth 2: tied's c and d
   * are ranked 1 and 2 the other way round by each retriever, 0.5; split's e and g are ranked first
   * by one retriever and not at all by the other, (3 - 1) / 2 = 1; the rest 0.
   */
  private static Fixture corpus(Fixture f) {
    f.corpus
        .put("eng/a", 0, 1, "a", Fixture.ENG_INTERNAL, 1, 0, 0, 0)
        .put("eng/b", 0, 1, "b", Fixture.ENG_INTERNAL, 0, 1, 0, 0)
        .put("eng/c", 0, 1, "c", Fixture.ENG_INTERNAL, 0, 0, 1, 0)
        .put("eng/d", 0, 1, "d", Fixture.ENG_INTERNAL, 0, 0, 0.99f, 0.141f) // alike c
        .put("eng/e", 0, 1, "e", Fixture.ENG_INTERNAL, 0, 0, 0, 1)
        .put("eng/f", 0, 1, "f", Fixture.ENG_INTERNAL, 0.6f, 0.8f, 0, 0)
        .put("eng/g", 0, 1, "g", Fixture.ENG_INTERNAL, 0.8f, 0, 0, 0.6f)
        .rank("confident", "bm25", "eng/a#0", 10.0, "eng/b#0", 2.0)
        .rank("confident", "dense", "eng/a#0", 0.9, "eng/b#0", 0.3)
        .rank("tied", "bm25", "eng/c#0", 5.0, "eng/d#0", 4.9)
        .rank("tied", "dense", "eng/d#0", 0.80, "eng/c#0", 0.79)
        .rank("split", "bm25", "eng/e#0", 8.0, "eng/f#0", 2.0)
        .rank("split", "dense", "eng/g#0", 0.9, "eng/f#0", 0.2);
    return f;
  }

  @Test
  void itemsAreValuedByMarginAndDisagreement() {
    try (Fixture f = corpus(new Fixture(Backend.H2, dir, false))) {
      Task t =
          f.judging.createTask(
              Fixture.who("mia"),
              new TaskSpec("al", "", List.of("confident", "tied", "split"), 2, 2, ""));
      ItemValue c = f.item(t, "eng/c").value();
      assertThat(c.uncertainty())
          .isCloseTo(1 - (0.02 + 0.0125) / 2 / ((0.75 + 7 / 9.0) / 2), within(1e-9));
      assertThat(c.disagreement()).isEqualTo(0.5);
      assertThat(f.item(t, "eng/e").value().disagreement()).isEqualTo(1.0);
      assertThat(f.item(t, "eng/e").value().uncertainty()).isZero();
      assertThat(f.item(t, "eng/f").value().score()).isZero();
      assertThat(f.item(t, "eng/a").value().disagreement()).isZero();
      assertThat(f.item(t, "eng/d").value().cluster())
          .as("c and d are alike (cosine 0.99)")
          .isEqualTo(c.cluster());
      assertThat(f.item(t, "eng/e").value().cluster()).isNotEqualTo(c.cluster());
    }
  }

  @Test
  void theQueueOffersTheMostValuableItemsSpreadOverClusters() {
    try (Fixture f = corpus(new Fixture(Backend.H2, dir, false))) {
      f.judging.createTask(
          Fixture.who("mia"),
          new TaskSpec("al", "", List.of("confident", "tied", "split"), 2, 2, ""));
      List<Item> queue = f.judging.queue(Fixture.who("ada"), "al", 3);
      // Scores: c, d 0.74; e, g 0.5; a, b 0.02; f 0. Only one of c and d (one cluster) before e
      // and g, though the other is worth more than either (0.74 - 0.5 taken for its group); then
      // the other, before a and b, worth next to nothing.
      assertThat(queue.getFirst().documentId()).isIn("eng/c", "eng/d");
      assertThat(queue.subList(1, 3))
          .extracting(Item::documentId)
          .containsExactlyInAnyOrder("eng/e", "eng/g");
      List<Item> all = f.judging.queue(Fixture.who("ada"), "al", 7);
      assertThat(all.get(3).documentId()).isIn("eng/c", "eng/d");
      assertThat(Set.copyOf(all.stream().map(Item::documentId).toList())).hasSize(7);
      assertThat(all.getLast().documentId())
          .as("worth nothing: all agree, confidently")
          .isEqualTo("eng/f");
      assertThat(f.judging.queue(Fixture.who("ada"), "al", 3))
          .as("the same state gives the same queue")
          .isEqualTo(queue);
    }
  }

  @Test
  void whatAnAnnotatorJudgedLeavesTheirQueueButNotTheOthers() {
    try (Fixture f = corpus(new Fixture(Backend.H2, dir, false))) {
      f.judging.createTask(
          Fixture.who("mia"),
          new TaskSpec("al", "", List.of("confident", "tied", "split"), 2, 2, ""));
      Item first = f.judging.queue(Fixture.who("ada"), "al", 1).getFirst();
      f.submit("ada", first, 2);
      assertThat(f.judging.queue(Fixture.who("ada"), "al", 7)).doesNotContain(first).hasSize(6);
      assertThat(f.judging.queue(Fixture.who("andy"), "al", 1)).containsExactly(first);
    }
  }
}
