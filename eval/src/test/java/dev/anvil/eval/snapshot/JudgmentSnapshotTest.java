package dev.anvil.eval.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.eval.BeirDataset;
import dev.anvil.eval.Splits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots: content-hash ids, refusal of changed or malformed files, splits, expert sets. */
class JudgmentSnapshotTest {
  @TempDir Path dir;

  static final Map<String, Object> TAGS =
      Map.of("classification", "internal", "department", List.of("engineering"));

  static JudgedExample example(String query, String doc, int label) {
    String text = "text of " + doc;
    return new JudgedExample(
        JudgedExample.queryId(query),
        query,
        doc,
        0,
        "",
        text,
        JudgedExample.sha256(text),
        label,
        "agreed",
        List.of("ada", "andy"),
        TAGS);
  }

  static Provenance provenance() {
    return new Provenance(
        "t",
        "model",
        "jdbc:h2:file:x",
        "mia",
        Instant.parse("2026-12-01T00:00:00Z"),
        "v1",
        4,
        2,
        0,
        List.of("ada", "andy"),
        OptionalDouble.of(0.5),
        List.of(new Provenance.PairKappa("ada", "andy", 2, OptionalDouble.of(0.5))));
  }

  /** 40 queries, each with a relevant (2), a related (1) and an irrelevant (0) chunk. */
  static List<JudgedExample> forty() {
    List<JudgedExample> out = new ArrayList<>();
    for (int q = 0; q < 40; q++) {
      out.add(example("question " + q, "d" + q + "a", 2));
      out.add(example("question " + q, "d" + q + "b", 1));
      out.add(example("question " + q, "d" + q + "c", 0));
    }
    return out;
  }

  @Test
  void theIdIsAHashOfTheLabelsWhateverTheirOrderOrTheExportTime() {
    List<JudgedExample> ex = forty();
    JudgmentSnapshot a = JudgmentSnapshot.of(provenance(), ex);
    List<JudgedExample> reversed = new ArrayList<>(ex.reversed());
    JudgmentSnapshot b = JudgmentSnapshot.of(provenance(), reversed);
    assertThat(a.id()).startsWith("js-").hasSize(19).isEqualTo(b.id());
    List<JudgedExample> changed = new ArrayList<>(ex);
    changed.set(0, example("question 0", "d0a", 3));
    assertThat(JudgmentSnapshot.of(provenance(), changed).id()).isNotEqualTo(a.id());
  }

  @Test
  void writtenAndReadBackItIsTheSameSnapshot() {
    JudgmentSnapshot s = JudgmentSnapshot.of(provenance(), forty());
    s.write(dir.resolve("snap"));
    JudgmentSnapshot back = JudgmentSnapshot.read(dir.resolve("snap"));
    assertThat(back).isEqualTo(s);
    assertThat(back.provenance().fleissKappa()).hasValue(0.5);
  }

  @Test
  void aLabelChangedAfterExportIsRefusedNamingTheSnapshot() throws IOException {
    JudgmentSnapshot s = JudgmentSnapshot.of(provenance(), forty());
    s.write(dir.resolve("snap"));
    Path file = dir.resolve("snap").resolve(JudgmentSnapshot.EXAMPLES);
    Files.writeString(file, Files.readString(file).replaceFirst("\"label\":0", "\"label\":3"));
    assertThatThrownBy(() -> JudgmentSnapshot.read(dir.resolve("snap")))
        .isInstanceOf(SnapshotException.class)
        .hasMessageContaining("are not those of snapshot " + s.id())
        .hasMessageContaining("changed after export");
  }

  @Test
  void aMalformedLineIsNamedByFileLineAndField() throws IOException {
    JudgmentSnapshot.of(provenance(), forty()).write(dir.resolve("snap"));
    Path file = dir.resolve("snap").resolve(JudgmentSnapshot.EXAMPLES);
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    lines.set(1, lines.get(1).replaceFirst("\"label\":\\d", "\"label\":7"));
    lines.set(2, lines.get(2).replaceFirst("\"tags\":\\{[^}]*}", "\"tags\":{}"));
    Files.write(file, lines);
    assertThatThrownBy(() -> JudgmentSnapshot.read(dir.resolve("snap")))
        .isInstanceOf(SnapshotException.class)
        .hasMessageContaining("judgments.jsonl:2: field 'label': expected 0 to 3, was 7")
        .hasMessageContaining("judgments.jsonl:3: field 'tags': missing");
  }

  @Test
  void aTextThatDoesNotMatchItsDigestIsRefused() {
    assertThatThrownBy(
            () ->
                new JudgedExample(
                    JudgedExample.queryId("q"),
                    "q",
                    "d",
                    0,
                    "",
                    "other text",
                    JudgedExample.sha256("text"),
                    2,
                    "agreed",
                    List.of(),
                    TAGS))
        .hasMessageContaining("field 'text_sha256'");
  }

  @Test
  void aSnapshotIsNeverWrittenOverAnother() throws IOException {
    Files.createDirectories(dir.resolve("snap"));
    Files.writeString(dir.resolve("snap/keep.txt"), "mine");
    assertThatThrownBy(() -> JudgmentSnapshot.of(provenance(), forty()).write(dir.resolve("snap")))
        .hasMessageContaining("not empty");
    assertThat(Files.readString(dir.resolve("snap/keep.txt"))).isEqualTo("mine");
  }

  @Test
  void twoLabelsOfOneChunkForOneQueryAreRefused() {
    assertThatThrownBy(
            () ->
                JudgmentSnapshot.of(
                    provenance(), List.of(example("q", "d", 1), example("q", "d", 2))))
        .hasMessageContaining("one final label per query and chunk");
  }

  @Test
  void trainAndDevSplitsShareNoQueryAndCoverAll() {
    JudgmentSnapshot s = JudgmentSnapshot.of(provenance(), forty());
    Set<String> dev = s.queryIds(Splits.DEV);
    Set<String> train = s.queryIds(Splits.TRAIN_MINUS_DEV);
    assertThat(dev).isNotEmpty().doesNotContainAnyElementsOf(train);
    Set<String> all = new HashSet<>(dev);
    all.addAll(train);
    assertThat(all).isEqualTo(s.queryIds(JudgmentSnapshot.ALL)).hasSize(40);
    // the same carve as BEIR's training queries: a salted hash of the id
    dev.forEach(q -> assertThat(Splits.carvedIntoDev(q)).isTrue());
    assertThatThrownBy(() -> s.split("test")).hasMessageContaining("split 'test'");
  }

  @Test
  void theExpertSetIsTheDevQueriesWithGradedQrelsOverEveryJudgedChunk() {
    JudgmentSnapshot s = JudgmentSnapshot.of(provenance(), forty());
    BeirDataset set = s.expertSet();
    assertThat(set.split()).isEqualTo(Splits.DEV);
    assertThat(set.corpus()).hasSize(120);
    assertThat(set.queries().keySet()).isEqualTo(s.queryIds(Splits.DEV));
    String q = set.queries().keySet().iterator().next();
    int n = Integer.parseInt(set.queries().get(q).substring("question ".length()));
    assertThat(set.qrels().get(q))
        .containsEntry("d" + n + "a#0", 2)
        .containsEntry("d" + n + "b#0", 1)
        .containsEntry("d" + n + "c#0", 0);
  }

  @Test
  void anExpertSetWithoutARelevantDevLabelIsRefused() {
    JudgmentSnapshot s =
        JudgmentSnapshot.of(provenance(), List.of(example("only one question", "d", 0)));
    assertThatThrownBy(s::expertSet).hasMessageContaining("judge more queries");
  }
}
