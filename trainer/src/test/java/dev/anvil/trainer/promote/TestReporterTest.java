package dev.anvil.trainer.promote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.eval.BeirDataException;
import dev.anvil.modelcard.ModelCard;
import dev.anvil.modelcard.ModelCardException;
import dev.anvil.modelcard.TestReport;
import dev.anvil.trainer.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's test numbers are measured once and kept in its card; asking again, even with a changed
 * model or another test folder, gives back the recorded numbers and measures nothing.
 */
class TestReporterTest {
  @TempDir static Path dir;
  static Path base;
  static Path testSet;

  static final Instant FIRST = Instant.parse("2026-12-07T09:00:00Z");

  @BeforeAll
  static void setUp() {
    base = TinyModels.huggingFaceDir(dir.resolve("base"));
    testSet = TinyModels.beir(dir.resolve("scifact-like"), TinyModels.pairs(), "test");
  }

  /** A copy of the tiny base model with a card, as the trainer registers one. */
  static Path registered(String name) throws IOException {
    Path to = Files.createDirectories(dir.resolve("models").resolve(name));
    try (var files = Files.list(base)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    ModelCard.of(
            Map.of(
                "model",
                name,
                "job",
                name,
                "task",
                "embedding",
                "owner",
                "mia",
                "created",
                "2026-12-06T10:00:00Z",
                "lineage",
                Map.of("classification", "internal")))
        .write(to);
    return to;
  }

  @Test
  void aModelIsMeasuredOnTestOnceAndAnsweredFromItsCardAfter() throws IOException {
    Path model = registered("once");

    TestReport.Outcome first =
        new TestReporter(Clock.fixed(FIRST, ZoneOffset.UTC)).report(model, testSet, "olivia");

    assertThat(first).isInstanceOf(TestReport.Measured.class);
    TestReport r = first.report();
    assertThat(r.split()).isEqualTo("test");
    assertThat(r.queries()).isEqualTo(TinyModels.pairs().size());
    assertThat(r.metrics()).containsOnlyKeys("ndcg@10", "recall@10", "recall@100");
    assertThat(r.metrics().get("ndcg@10")).isBetween(0.0, 1.0);
    assertThat(r.dataset()).isEqualTo(testSet.toAbsolutePath().normalize().toString());
    assertThat(r.qrelsSha256()).hasSize(64);
    assertThat(r.reportedBy()).isEqualTo("olivia");
    assertThat(r.reportedAt()).isEqualTo(FIRST);
    assertThat(ModelCard.read(model).orElseThrow().testReport()).contains(r);

    // The weights change and the test folder is another: still the recorded numbers, untouched.
    Files.delete(model.resolve("model.safetensors"));
    Path otherTest =
        TinyModels.beir(dir.resolve("other-test"), TinyModels.pairs().subList(0, 4), "test");
    TestReport.Outcome again =
        new TestReporter(Clock.fixed(FIRST.plusSeconds(60), ZoneOffset.UTC))
            .report(model, otherTest, "mia");

    assertThat(again).isEqualTo(new TestReport.AlreadyReported(r));
  }

  @Test
  void aModelWithoutACardGetsNoTestReport() {
    assertThatThrownBy(() -> new TestReporter(Clock.systemUTC()).report(base, testSet, "olivia"))
        .isInstanceOf(ModelCardException.class)
        .hasMessageContaining("no anvil-model-card.json");
  }

  @Test
  void aFolderWithoutATestSplitIsNamedAndNothingIsRecorded() throws IOException {
    Path model = registered("no-test");
    Path devOnly = TinyModels.beir(dir.resolve("dev-only"), TinyModels.pairs(), "dev");

    assertThatThrownBy(() -> new TestReporter(Clock.systemUTC()).report(model, devOnly, "olivia"))
        .isInstanceOf(BeirDataException.class)
        .hasMessageContaining(devOnly.resolve("qrels/test.tsv").toString());
    assertThat(ModelCard.read(model).orElseThrow().testReport()).isEmpty();
  }
}
