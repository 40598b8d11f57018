package dev.anvil.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dev split carved from the training judgements: what trains ({@code train-minus-dev}) and what
 * decides ({@code dev}) never share a query, and the carve is the same in every run and on every
 * machine.
 */
class SplitsTest {
  @TempDir Path tmp;

  static Path scifact() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("../shared/data/beir/scifact"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("../shared/data/beir/scifact beside the checkout").isNotNull();
    return dir.resolve("../shared/data/beir/scifact");
  }

  @Test
  void theCarveIsAFixedFunctionOfTheQueryId() {
    // Pinned: a change of hash, salt or fraction re-carves every folder and must be deliberate.
    List<String> carved =
        IntStream.range(0, 40).mapToObj(i -> "q" + i).filter(Splits::carvedIntoDev).toList();
    assertThat(carved).containsExactly("q6", "q9", "q18", "q27", "q35");
  }

  @Test
  void sciFactDevAndTrainMinusDevPartitionTheTrainingQueries() {
    Path dir = scifact();
    BeirDataset train = BeirDataset.load(dir, Splits.TRAIN);
    BeirDataset dev = BeirDataset.load(dir, Splits.DEV);
    BeirDataset rest = BeirDataset.load(dir, Splits.TRAIN_MINUS_DEV);

    assertThat(dev.split()).isEqualTo("dev");
    assertThat(rest.split()).isEqualTo("train-minus-dev");
    assertThat(dev.qrels()).hasSize(176); // of 809: 21.8 %, near DEV_FRACTION
    assertThat(rest.qrels()).hasSize(633);
    assertThat(dev.queries().keySet()).doesNotContainAnyElementsOf(rest.queries().keySet());
    Set<String> union = new HashSet<>(dev.qrels().keySet());
    union.addAll(rest.qrels().keySet());
    assertThat(union).isEqualTo(train.qrels().keySet());
    // Each query keeps all of its judgements on its side.
    dev.qrels().forEach((q, judged) -> assertThat(judged).isEqualTo(train.qrels().get(q)));
    assertThat(dev.queries().keySet()).allMatch(Splits::carvedIntoDev);
    assertThat(dev.queries().keySet())
        .doesNotContainAnyElementsOf(BeirDataset.load(dir, Splits.TEST).queries().keySet());

    // Loaded again: the same queries, in the same order.
    assertThat(BeirDataset.load(dir, Splits.DEV).qrels()).isEqualTo(dev.qrels());
    assertThat(List.copyOf(BeirDataset.load(dir, Splits.DEV).queries().keySet()))
        .isEqualTo(List.copyOf(dev.queries().keySet()));
  }

  @Test
  void theCarveDoesNotDependOnTheOrderOfTheFile() throws IOException {
    Path dir = scifact();
    Path shuffled = copyWithoutQrels(dir, tmp.resolve("shuffled"));
    List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve("qrels/train.tsv")));
    String header = lines.removeFirst();
    Collections.shuffle(lines, new java.util.Random(7));
    lines.addFirst(header);
    Files.write(shuffled.resolve("qrels/train.tsv"), lines);

    assertThat(BeirDataset.load(shuffled, Splits.DEV).qrels().keySet())
        .containsExactlyInAnyOrderElementsOf(BeirDataset.load(dir, Splits.DEV).qrels().keySet());
  }

  @Test
  void aFolderWithItsOwnDevFileUsesItAndTrainsWithoutItsQueries() throws IOException {
    Path dir = tiny(tmp.resolve("own-dev"), 6);
    Files.writeString(dir.resolve("qrels/train.tsv"), qrels(0, 1, 2, 3, 4, 5));
    // q5 is judged in both files: it must then only decide, never train.
    Files.writeString(dir.resolve("qrels/dev.tsv"), qrels(5));

    assertThat(BeirDataset.load(dir, Splits.DEV).qrels()).containsOnlyKeys("q5");
    assertThat(BeirDataset.load(dir, Splits.TRAIN_MINUS_DEV).qrels())
        .containsOnlyKeys("q0", "q1", "q2", "q3", "q4");
  }

  @Test
  void missingFilesAreNamedWithTheirFolder() throws IOException {
    Path onlyTest = tiny(tmp.resolve("only-test"), 3);
    Files.writeString(onlyTest.resolve("qrels/test.tsv"), qrels(0, 1, 2));

    assertThatThrownBy(() -> BeirDataset.load(onlyTest, Splits.DEV))
        .isInstanceOf(BeirDataException.class)
        .hasMessageContaining(onlyTest.toString())
        .hasMessageContaining("no qrels/dev.tsv, and no qrels/train.tsv")
        .hasMessageContaining(onlyTest.resolve("qrels/train.tsv").toString());
    assertThatThrownBy(() -> BeirDataset.load(onlyTest, "validation"))
        .isInstanceOf(BeirDataException.class)
        .hasMessageContaining(onlyTest.resolve("qrels/validation.tsv").toString());
  }

  @Test
  void tooFewTrainingQueriesToCarveFromIsAnErrorNotAnEmptyDevSplit() throws IOException {
    // q0..q4 all hash outside dev (q6 is the first in): nothing would decide.
    Path dir = tiny(tmp.resolve("few"), 5);
    Files.writeString(dir.resolve("qrels/train.tsv"), qrels(0, 1, 2, 3, 4));

    assertThatThrownBy(() -> BeirDataset.load(dir, Splits.DEV))
        .isInstanceOf(BeirDataException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("has no query")
        .hasMessageContaining("write qrels/dev.tsv");
  }

  @Test
  void aMalformedLineIsNamedByFileAndLine() throws IOException {
    Path dir = tiny(tmp.resolve("bad"), 2);
    Files.writeString(dir.resolve("qrels/test.tsv"), "query-id\tcorpus-id\tscore\nq0\td0\tyes\n");

    assertThatThrownBy(() -> BeirDataset.load(dir, Splits.TEST))
        .hasMessage(
            dir.resolve("qrels/test.tsv") + ":2: expected query-id, corpus-id, score (an integer)");
  }

  @Test
  void testIsRecognisedWhateverItsCase() {
    assertThat(Splits.isTest("test")).isTrue();
    assertThat(Splits.isTest(" Test ")).isTrue();
    assertThat(Splits.isTest("dev")).isFalse();
    assertThat(Splits.isTest("test2")).isFalse();
  }

  /** A corpus and queries of {@code n} documents and questions, with no qrels yet. */
  private static Path tiny(Path dir, int n) throws IOException {
    Files.createDirectories(dir.resolve("qrels"));
    StringBuilder corpus = new StringBuilder();
    StringBuilder queries = new StringBuilder();
    for (int i = 0; i < n; i++) {
      corpus.append("{\"_id\": \"d%d\", \"text\": \"document %d\"}\n".formatted(i, i));
      queries.append("{\"_id\": \"q%d\", \"text\": \"question %d\"}\n".formatted(i, i));
    }
    Files.writeString(dir.resolve("corpus.jsonl"), corpus);
    Files.writeString(dir.resolve("queries.jsonl"), queries);
    return dir;
  }

  private static String qrels(int... queries) {
    StringBuilder s = new StringBuilder("query-id\tcorpus-id\tscore\n");
    for (int q : queries) {
      s.append("q").append(q).append("\td").append(q).append("\t1\n");
    }
    return s.toString();
  }

  private static Path copyWithoutQrels(Path from, Path to) throws IOException {
    Files.createDirectories(to.resolve("qrels"));
    Files.copy(from.resolve("corpus.jsonl"), to.resolve("corpus.jsonl"));
    Files.copy(from.resolve("queries.jsonl"), to.resolve("queries.jsonl"));
    return to;
  }
}
