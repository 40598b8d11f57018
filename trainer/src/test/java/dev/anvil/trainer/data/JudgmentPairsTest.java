package dev.anvil.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.anvil.eval.Splits;
import dev.anvil.eval.snapshot.JudgedExample;
import dev.anvil.eval.snapshot.JudgmentSnapshot;
import dev.anvil.eval.snapshot.Provenance;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.schema.TagSchema;
import dev.anvil.trainer.TinyModels;
import dev.anvil.trainer.job.Job;
import dev.anvil.trainer.job.JobRunner;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.job.JobStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pairs from judgments: positives, hard negatives of the same query, and the tags they carry. */
class JudgmentPairsTest {
  @TempDir Path dir;
  static final TagSchema SCHEMA = PolicyStore.open(TestPacks.example()).current().schema();

  static final Map<String, Object> INTERNAL =
      Map.of("classification", "internal", "department", List.of("engineering"));
  static final Map<String, Object> CONFIDENTIAL_FINANCE =
      Map.of("classification", "confidential", "department", List.of("finance"));
  static final Map<String, Object> HR_PAY =
      Map.of(
          "classification",
          "confidential",
          "department",
          List.of("hr"),
          "topics",
          List.of("compensation"));

  static JudgedExample judged(String q, String doc, int label, Map<String, Object> tags) {
    String text = "text of " + doc;
    return new JudgedExample(
        JudgedExample.queryId(q),
        q,
        doc,
        0,
        "Title " + doc,
        text,
        JudgedExample.sha256(text),
        label,
        "agreed",
        List.of("ada"),
        tags);
  }

  static JudgmentSnapshot snapshot(List<JudgedExample> examples) {
    return JudgmentSnapshot.of(
        new Provenance(
            "t",
            "m",
            "s",
            "mia",
            Instant.EPOCH,
            "v",
            1,
            1,
            0,
            List.of("ada"),
            OptionalDouble.empty(),
            List.of()),
        examples);
  }

  @Test
  void eachRelevantChunkIsAPositivePairedWithAnIrrelevantOneOfTheSameQuery() {
    JudgmentSnapshot s =
        snapshot(
            List.of(
                judged("q", "a", 3, INTERNAL),
                judged("q", "b", 2, INTERNAL),
                judged("q", "c", 1, INTERNAL), // neither: left out
                judged("q", "d", 0, CONFIDENTIAL_FINANCE),
                judged("other", "e", 0, INTERNAL)));
    List<Example> pairs = JudgmentPairs.of(s, JudgmentSnapshot.ALL, 2, 0, SCHEMA);
    assertThat(pairs).hasSize(2);
    Example.Pair first = (Example.Pair) pairs.get(0);
    assertThat(first.query()).isEqualTo("q");
    assertThat(first.positive()).isEqualTo("Title a\ntext of a");
    assertThat(first.negative()).hasValue("Title d\ntext of d");
    // The pair holds both texts: the highest classification, both departments.
    assertThat(first.tags())
        .containsEntry("classification", "confidential")
        .containsEntry("department", List.of("engineering", "finance"));
    assertThat(first.where()).contains(s.id()).contains("a#0").contains("negative d#0");
    assertThat(((Example.Pair) pairs.get(1)).positive()).isEqualTo("Title b\ntext of b");
  }

  @Test
  void aSplitWithoutPositivesIsRefusedNamingTheThreshold() {
    JudgmentSnapshot s = snapshot(List.of(judged("q", "a", 1, INTERNAL)));
    assertThatThrownBy(() -> JudgmentPairs.of(s, JudgmentSnapshot.ALL, 2, 0, SCHEMA))
        .isInstanceOf(DatasetException.class)
        .hasMessageContaining("no chunk judged at least 2 (data.judgments.min_label)");
  }

  @Test
  void theTrainSplitHoldsNoQueryOfTheExpertSet() {
    JudgmentSnapshot s = TinyModels.snapshot(dir.resolve("snap"), null);
    List<Example> pairs = JudgmentPairs.of(s, Splits.TRAIN_MINUS_DEV, 2, 0, SCHEMA);
    List<String> devQueries =
        s.split(Splits.DEV).stream().map(JudgedExample::query).distinct().toList();
    assertThat(devQueries).isNotEmpty();
    assertThat(pairs)
        .extracting(e -> ((Example.Pair) e).query())
        .doesNotContainAnyElementsOf(devQueries);
  }

  @Test
  void aJobIsRefusedJudgmentsItsOwnerMayNotTrainOnNamingEach() throws Exception {
    JudgmentSnapshot s =
        snapshot(List.of(judged("pay", "bands", 3, HR_PAY), judged("q", "a", 3, INTERNAL)));
    s.write(dir.resolve("snap"));
    TinyModels.huggingFaceDir(dir.resolve("base"));
    JobStore store = new JobStore(dir.resolve("jobs"));
    Job job =
        store.submit(
            "denied",
            TinyModels.judgedEmbeddingSpec("denied", "base", "snap", JudgmentSnapshot.ALL),
            dir,
            PrincipalDirectory.load(TestPacks.example().principalsFile())
                .find("mia")
                .orElseThrow());
    new JobRunner(store, PolicyStore.open(TestPacks.example()), dir.resolve("models"), Device.cpu())
        .drain();
    JobState state = store.find(job.id()).orElseThrow().state();
    assertThat(state).isInstanceOf(JobState.Failed.class);
    assertThat(((JobState.Failed) state).reason())
        .contains("judgments.jsonl of " + s.id())
        .contains("bands#0")
        .doesNotContain("a#0:");
  }
}
