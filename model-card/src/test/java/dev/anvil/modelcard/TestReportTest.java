package dev.anvil.modelcard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Test is reported once per model: measured the first time, answered from the card after. */
class TestReportTest {
  @TempDir Path dir;

  static TestReport report(double ndcg) {
    return new TestReport(
        "/data/scifact",
        "test",
        "ab12",
        300,
        new TreeMap<>(Map.of("ndcg@10", ndcg, "recall@100", 0.95)),
        "olivia",
        Instant.parse("2026-12-07T09:00:00Z"));
  }

  @Test
  void theFirstAskMeasuresAndRecordsLaterAsksGetTheRecordedNumbers() {
    ModelCard.of(ModelCardTest.fields()).write(dir);
    AtomicInteger measured = new AtomicInteger();

    TestReport.Outcome first =
        TestReport.once(
            dir,
            () -> {
              measured.incrementAndGet();
              return report(0.6616);
            });
    // A second ask, with whatever it would measure now, gets the first numbers back.
    TestReport.Outcome second =
        TestReport.once(
            dir,
            () -> {
              measured.incrementAndGet();
              return report(0.99);
            });

    assertThat(first).isEqualTo(new TestReport.Measured(report(0.6616)));
    assertThat(second).isEqualTo(new TestReport.AlreadyReported(report(0.6616)));
    assertThat(measured).hasValue(1);
    ModelCard card = ModelCard.read(dir).orElseThrow();
    assertThat(card.testReport()).contains(report(0.6616));
    // The rest of the card is as the trainer wrote it.
    assertThat(card.lineage()).isEqualTo(ModelCard.of(ModelCardTest.fields()).lineage());
    assertThat(card.json().get("steps").getAsInt()).isEqualTo(24);
    assertThat(card.json().getAsJsonObject("test_report").get("reported_by").getAsString())
        .isEqualTo("olivia");
  }

  @Test
  void aCardAcceptsOneReportOnly() {
    ModelCard card = ModelCard.of(ModelCardTest.fields()).withTestReport(report(0.5));

    assertThatThrownBy(() -> card.withTestReport(report(0.6)))
        .isInstanceOf(ModelCardException.class)
        .hasMessageContaining("already has a test report");
  }

  @Test
  void nobodyMeasuresWhileAnotherMeasurementOfTheSameModelRuns() {
    ModelCard.of(ModelCardTest.fields()).write(dir);

    TestReport.Outcome outer =
        TestReport.once(
            dir,
            () -> {
              assertThatThrownBy(() -> TestReport.once(dir, () -> report(0.7)))
                  .isInstanceOf(ModelCardException.class)
                  .hasMessageContaining("being measured now");
              return report(0.6);
            });

    assertThat(outer.report()).isEqualTo(report(0.6));
  }

  @Test
  void aMeasurementThatFailsRecordsNothing() {
    ModelCard.of(ModelCardTest.fields()).write(dir);

    assertThatThrownBy(
            () ->
                TestReport.once(
                    dir,
                    () -> {
                      throw new IllegalStateException("out of memory");
                    }))
        .hasMessage("out of memory");
    assertThat(ModelCard.read(dir).orElseThrow().testReport()).isEmpty();
    assertThat(TestReport.once(dir, () -> report(0.6))).isInstanceOf(TestReport.Measured.class);
  }

  @Test
  void aModelWithoutACardIsRefusedNamingTheFile() {
    assertThatThrownBy(() -> TestReport.once(dir, () -> report(0.6)))
        .isInstanceOf(ModelCardException.class)
        .hasMessageContaining(dir + ": no anvil-model-card.json");
    assertThat(Files.exists(dir.resolve(ModelCard.FILE))).isFalse();
  }

  @Test
  void aMalformedRecordedReportIsAnError() throws Exception {
    ModelCard.of(ModelCardTest.fields()).write(dir);
    String text = Files.readString(dir.resolve(ModelCard.FILE));
    Files.writeString(
        dir.resolve(ModelCard.FILE), text.replaceFirst("\\{", "{\"test_report\": {\"split\": 1},"));

    assertThatThrownBy(() -> ModelCard.read(dir).orElseThrow().testReport())
        .isInstanceOf(ModelCardException.class)
        .hasMessageContaining("field 'test_report': malformed");
  }
}
