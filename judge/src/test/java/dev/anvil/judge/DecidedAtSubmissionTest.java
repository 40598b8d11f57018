package dev.anvil.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read and judge are decided when a label is submitted, by the policy and tags in force then: not
 * when the task was made, nor when the item was shown.
 */
class DecidedAtSubmissionTest {
  @TempDir Path dir;

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  @Test
  void aPolicyReloadedAfterTheItemWasShownDecidesTheLabel() throws Exception {
    Path packDir = dir.resolve("pack");
    copy(Fixture.PACK.dir(), packDir);
    PolicyStore policies = PolicyStore.open(new PolicyPack(packDir));
    MemoryCorpus corpus = new MemoryCorpus(policies);
    corpus
        .put("eng/a", 0, 1, "alpha", Fixture.ENG_INTERNAL)
        .put("eng/b", 0, 1, "beta", Fixture.ENG_INTERNAL)
        .rank("q", "bm25", "eng/a#0", 2.0, "eng/b#0", 1.0);
    try (Store store = Store.open(StoreConfig.embedded(dir))) {
      Judging judging = Judging.open(store, corpus, Clock.systemUTC(), false);
      judging.createTask(Fixture.who("mia"), new TaskSpec("t", "", List.of("q"), 2, 10, ""));
      List<Item> queue = judging.queue(Fixture.who("ada"), "t", 10);
      assertThat(queue).hasSize(2);
      String before = policies.current().version();
      Judgment first =
          judging.label(
              Fixture.who("ada"),
              new LabelRequest(queue.get(0).id(), 2, Status.SUBMITTED, "", ""),
              Source.EXPERT);
      assertThat(first.policyVersion()).isEqualTo(before);

      // The admin withdraws the annotators' right to judge; the second item was already offered.
      Files.delete(packDir.resolve("policies/40-judgments.yaml"));
      policies.reload();
      assertThat(policies.current().version()).isNotEqualTo(before);
      assertThatThrownBy(
              () ->
                  judging.label(
                      Fixture.who("ada"),
                      new LabelRequest(queue.get(1).id(), 2, Status.SUBMITTED, "", ""),
                      Source.EXPERT))
          .isInstanceOf(DeniedException.class)
          .hasMessageEndingWith("denied by policy default-deny");
      assertThat(judging.queue(Fixture.who("ada"), "t", 10)).isEmpty();
    }
  }

  @Test
  void aJudgmentTakesTheChunksTagsAtSubmissionAndAReclassifiedChunkHidesItsItem() {
    PolicyStore policies = PolicyStore.open(Fixture.PACK);
    MemoryCorpus corpus = new MemoryCorpus(policies);
    corpus.put("eng/a", 0, 1, "alpha", Fixture.ENG_INTERNAL).rank("q", "bm25", "eng/a#0", 2.0);
    try (Store store = Store.open(StoreConfig.embedded(dir))) {
      Judging judging = Judging.open(store, corpus, Clock.systemUTC(), false);
      judging.createTask(Fixture.who("mia"), new TaskSpec("t", "", List.of("q"), 2, 10, ""));
      Item item = judging.queue(Fixture.who("abe"), "t", 1).getFirst();
      // Reclassified after the task was made: abe (internal clearance) may no longer read it.
      corpus.put("eng/a", 0, 2, "alpha", Fixture.ENG_CONFIDENTIAL);
      assertThatThrownBy(
              () ->
                  judging.label(
                      Fixture.who("abe"),
                      new LabelRequest(item.id(), 1, Status.SUBMITTED, "", ""),
                      Source.EXPERT))
          .isInstanceOf(NotFoundException.class);
      Judgment j =
          judging.label(
              Fixture.who("ada"),
              new LabelRequest(item.id(), 1, Status.SUBMITTED, "", ""),
              Source.EXPERT);
      assertThat(j.tags()).containsEntry("classification", "confidential");
      assertThat(j.documentVersion()).isEqualTo(2);
    }
  }
}
