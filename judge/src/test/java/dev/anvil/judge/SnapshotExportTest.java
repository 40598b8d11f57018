package dev.anvil.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.eval.snapshot.JudgedExample;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.store.TestStores.Backend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots of final labels: who may export, what a snapshot holds (the chunk's text and tags, the
 * task's agreement), and that a chunk hidden from the exporter leaves no trace in it.
 */
class SnapshotExportTest {
  @TempDir Path dir;

  /**
   * mia's task over the mixed corpus: the internal cache chunk agreed at 3 by ada and andy, the
   * confidential keys chunk disputed (2 vs 1) and settled at 2 by judy.
   */
  private static Fixture judged(Fixture f) {
    Task t = f.task("t", 2, "mia");
    Item cache = f.item(t, "eng/cache");
    Item keys = f.item(t, "eng/keys");
    f.submit("ada", cache, 3);
    f.submit("andy", cache, 3);
    f.submit("ada", keys, 2);
    f.submit("andy", keys, 1);
    f.judging.adjudicate(Fixture.who("judy"), new AdjudicateRequest(keys.id(), 2, "", ""));
    return f;
  }

  @Test
  void theCreatorExportsFinalLabelsWithTextTagsAndAgreement() {
    try (Fixture f = judged(new Fixture(Backend.H2, dir, false).mixedCorpus())) {
      SnapshotExport.Result r = SnapshotExport.export(f.judging, Fixture.who("mia"), "t", "h2");
      JudgmentSnapshot s = r.snapshot();
      assertThat(s.examples())
          .extracting(JudgedExample::key)
          .containsExactlyInAnyOrder("eng/cache#0", "eng/keys#0");
      JudgedExample cache =
          s.examples().stream().filter(e -> e.documentId().equals("eng/cache")).findFirst().get();
      assertThat(cache.label()).isEqualTo(3);
      assertThat(cache.basis()).isEqualTo("agreed");
      assertThat(cache.text()).isEqualTo("The cache is invalidated on every deploy.");
      assertThat(cache.tags()).isEqualTo(Fixture.ENG_INTERNAL);
      assertThat(cache.query()).isEqualTo("how do we deploy");
      JudgedExample keys =
          s.examples().stream().filter(e -> e.documentId().equals("eng/keys")).findFirst().get();
      assertThat(keys.label()).isEqualTo(2);
      assertThat(keys.basis()).isEqualTo("adjudicated");
      assertThat(keys.tags()).containsEntry("classification", "confidential");
      var p = s.provenance();
      assertThat(p.task()).isEqualTo("t");
      assertThat(p.exportedBy()).isEqualTo("mia");
      assertThat(p.store()).isEqualTo("h2");
      assertThat(p.policyVersion()).isEqualTo(f.judging.policies().version());
      assertThat(p.judgmentsCounted()).isEqualTo(5); // 2 + 2 labels and judy's adjudication
      assertThat(p.agreed()).isEqualTo(1);
      assertThat(p.adjudicated()).isEqualTo(1);
      assertThat(p.annotators()).containsExactly("ada", "andy", "judy");
      // ada (3, 2) and andy (3, 1): Fleiss over the two complete items, as the task reports it
      assertThat(p.fleissKappa()).isEqualTo(f.judging.agreement(Fixture.who("mia"), "t").fleiss());
      assertThat(p.pairs()).hasSize(1);
      // exported twice, the same labels: the same id
      assertThat(SnapshotExport.export(f.judging, Fixture.who("mia"), "t", "h2").snapshot().id())
          .isEqualTo(s.id());
    }
  }

  @Test
  void aChunkHiddenFromTheExporterLeavesNoTrace() throws IOException {
    try (Fixture f = judged(new Fixture(Backend.H2, dir, false).mixedCorpus())) {
      // sam administers Anvil but is cleared for internal only: the confidential keys chunk is
      // hidden from him.
      JudgmentSnapshot s =
          SnapshotExport.export(f.judging, Fixture.who("sam"), "t", "h2").snapshot();
      assertThat(s.examples()).extracting(JudgedExample::key).containsExactly("eng/cache#0");
      assertThat(s.provenance().judgmentsCounted()).isEqualTo(2);
      assertThat(s.provenance().adjudicated()).isZero();
      assertThat(s.provenance().annotators()).containsExactly("ada", "andy");
      s.write(dir.resolve("sam"));
      String written =
          Files.readString(dir.resolve("sam").resolve(JudgmentSnapshot.EXAMPLES))
              + Files.readString(dir.resolve("sam").resolve(JudgmentSnapshot.PROVENANCE));
      assertThat(written).doesNotContain("eng/keys").doesNotContain("Signing keys");
    }
  }

  @Test
  void onlyTheCreatorAndAdministratorsExport() {
    try (Fixture f = judged(new Fixture(Backend.H2, dir, false).mixedCorpus())) {
      for (String who : List.of("ada", "judy", "alice")) {
        assertThatThrownBy(() -> SnapshotExport.export(f.judging, Fixture.who(who), "t", "h2"))
            .as(who)
            .isInstanceOf(DeniedException.class)
            .hasMessageContaining("for its creator and administrators");
      }
      assertThatThrownBy(() -> SnapshotExport.export(f.judging, Fixture.who("mia"), "nope", "h2"))
          .isInstanceOf(NotFoundException.class);
    }
  }

  @Test
  void aChunkChangedSinceItWasJudgedIsLeftOutAndCounted() {
    try (Fixture f = judged(new Fixture(Backend.H2, dir, false).mixedCorpus())) {
      f.corpus.put(
          "eng/cache",
          0,
          4,
          "The cache is kept across deploys now.",
          Fixture.ENG_INTERNAL,
          1,
          0,
          0);
      SnapshotExport.Result r = SnapshotExport.export(f.judging, Fixture.who("mia"), "t", "h2");
      assertThat(r.changedSinceJudged()).isEqualTo(1);
      assertThat(r.snapshot().examples())
          .extracting(JudgedExample::key)
          .containsExactly("eng/keys#0");
    }
  }

  @Test
  void openItemsAreNotExported() {
    try (Fixture f = new Fixture(Backend.H2, dir, false).mixedCorpus()) {
      Task t = f.task("t", 2, "mia");
      f.submit("ada", f.item(t, "eng/cache"), 3);
      assertThat(
              SnapshotExport.export(f.judging, Fixture.who("mia"), "t", "h2").snapshot().examples())
          .isEmpty();
    }
  }
}
