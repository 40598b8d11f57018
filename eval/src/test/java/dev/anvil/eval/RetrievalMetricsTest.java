package dev.anvil.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetrievalMetricsTest {
  @Test
  void ndcgAndRecallFollowTheTrecDefinitions() {
    Map<String, Integer> rel = Map.of("a", 1, "b", 1);
    assertThat(RetrievalMetrics.ndcg(List.of("a", "b", "c"), rel, 10)).isEqualTo(1.0);
    // a at rank 2: (1/log2(3)) / (1 + 1/log2(3))
    assertThat(RetrievalMetrics.ndcg(List.of("x", "a"), rel, 10))
        .isCloseTo(
            (1 / (Math.log(3) / Math.log(2))) / (1 + 1 / (Math.log(3) / Math.log(2))),
            within(1e-12));
    assertThat(RetrievalMetrics.ndcg(List.of("x", "y"), rel, 10)).isZero();
    assertThat(RetrievalMetrics.recall(List.of("x", "a", "y"), rel, 2)).isEqualTo(0.5);
    assertThat(RetrievalMetrics.recall(List.of("x", "a", "b"), rel, 2)).isEqualTo(0.5);
  }

  @Test
  void loadsTheSharedSciFactCopy() {
    java.nio.file.Path dir = java.nio.file.Path.of("").toAbsolutePath();
    while (dir != null
        && !java.nio.file.Files.isDirectory(dir.resolve("../shared/data/beir/scifact"))) {
      dir = dir.getParent();
    }
    // ../shared sits beside the checkout on every machine and in CI: its absence is a failure.
    assertThat(dir)
        .as("../shared/data/beir/scifact beside the checkout (or one of its parents)")
        .isNotNull();
    BeirDataset d = BeirDataset.load(dir.resolve("../shared/data/beir/scifact"), "test");
    assertThat(d.corpus()).hasSize(5183);
    assertThat(d.queries()).hasSize(300);
  }
}
