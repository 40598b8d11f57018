package dev.anvil.context;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.context.api.ContextException;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.api.SearchResponse;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestUtils;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollback a switch keeps costs a second embedding of every write: that cost is counted apart
 * ({@code anvil.ingest.embedded_chunks} by index role), and bounded: the previous model can be
 * dropped, by hand or once it was kept for a window, and only its index is deleted.
 */
class RollbackWindowTest {
  @TempDir Path dir;

  final InMemoryMetricReader metrics = InMemoryMetricReader.create();
  final OpenTelemetrySdk otel =
      OpenTelemetrySdk.builder()
          .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
          .build();
  final PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
  final Principal connector = people.find("kafka-connector").orElseThrow();
  final Principal alice = people.find("alice").orElseThrow();

  @AfterEach
  void closeTelemetry() {
    otel.close();
  }

  ContextEngine open() {
    return ContextEngine.open(
        dir.resolve("index"),
        PolicyStore.open(TestPacks.example()),
        SharedEmbedder.get(),
        ModelSwitchTest.Reversed::new,
        otel);
  }

  /** Chunks embedded so far for indexes of {@code role}. */
  long embedded(String role) {
    long sum = 0;
    for (MetricData m : metrics.collectAllMetrics()) {
      if (m.getName().equals("anvil.ingest.embedded_chunks")) {
        for (LongPointData p : m.getLongSumData().getPoints()) {
          if (role.equals(
              p.getAttributes().get(dev.anvil.context.telemetry.Telemetry.INDEX_ROLE))) {
            sum += p.getValue();
          }
        }
      }
    }
    return sum;
  }

  /** Switches {@code e} to the reversed model of {@code name}; returns the model switched from. */
  static String switchTo(ContextEngine e, Path modelDir) throws Exception {
    String from = e.modelId();
    e.reembed(modelDir, 0).finished().get(1, TimeUnit.MINUTES);
    assertThat(e.previousModelId()).contains(from);
    return from;
  }

  List<String> found(ContextEngine e, String query) {
    SearchResponse r =
        e.search(alice, new SearchRequest(query, 20, 0, Map.of(), SearchRequest.Mode.BM25));
    return r.hits().stream().map(h -> h.documentId()).toList();
  }

  static int documentsIn(Path index) throws Exception {
    try (FSDirectory d = FSDirectory.open(index);
        DirectoryReader r = DirectoryReader.open(d)) {
      return r.numDocs();
    }
  }

  @Test
  void droppingTheRollbackEmbedsEachWriteOnceAgainAndDeletesOnlyThePreviousIndex()
      throws Exception {
    Path index = dir.resolve("index");
    try (ContextEngine e = open()) {
      List<dev.anvil.context.api.Document> docs = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        docs.add(
            ModelSwitchTest.doc(
                "doc-" + i, 1, "Runbook " + i + ": " + ModelSwitchTest.TOPICS.get(i % 6)));
      }
      e.ingest(connector, docs);
      assertThat(embedded("serving")).isEqualTo(12);
      String first = switchTo(e, dir.resolve("tuned-1"));

      // Kept for a rollback: each write is embedded for both indexes, and counted so.
      e.ingest(connector, List.of(ModelSwitchTest.doc("late-1", 1, "Late note: certificates.")));
      assertThat(embedded("serving")).isEqualTo(13);
      assertThat(embedded("rollback")).isEqualTo(1);

      // The first model's index shares the data directory with the new one: dropping empties it
      // and nothing else.
      assertThat(e.dropRollback()).isEqualTo(first);
      assertThat(e.previousModelId()).isEmpty();
      assertThatThrownBy(e::rollback)
          .isInstanceOf(ContextException.class)
          .hasMessageContaining("no previous model");
      assertThatThrownBy(e::dropRollback).hasMessageContaining("no previous model is kept");
      e.ingest(
          connector, List.of(ModelSwitchTest.doc("late-2", 1, "After the drop: certificates.")));
      assertThat(embedded("serving")).isEqualTo(14);
      assertThat(embedded("rollback")).as("embedded once again").isEqualTo(1);
      assertThat(documentsIn(index)).as("the first index, emptied").isZero();
      assertThat(found(e, "certificates")).contains("late-1", "late-2");
      assertThat(e.chunkCount()).isEqualTo(14);

      // A later switch keeps the model it leaves; dropping that deletes its directory only.
      String second = switchTo(e, dir.resolve("tuned-2"));
      Path secondDir = index.resolve("models/reversed-tuned-1_1");
      assertThat(secondDir).isDirectory();
      assertThat(e.dropRollback()).isEqualTo(second);
      assertThat(secondDir).doesNotExist();
      assertThat(index.resolve("models/reversed-tuned-2_1")).isDirectory();
      assertThat(found(e, "certificates")).contains("late-1", "late-2");
    }
    // The drop is durable: a restart keeps no rollback and serves every document.
    try (ContextEngine e = open()) {
      assertThat(e.modelId()).isEqualTo("reversed-tuned-2@1");
      assertThat(e.previousModelId()).isEmpty();
      assertThat(e.chunkCount()).isEqualTo(14);
      assertThat(Files.readString(index.resolve("serving.json")))
          .contains("\"previousIndex\": null");
    }
  }

  @Test
  void aRollbackKeptPastItsWindowIsDroppedAndEachSwitchStartsTheWindowAgain() throws Exception {
    try (ContextEngine e = open()) {
      e.ingest(connector, List.of(ModelSwitchTest.doc("doc-1", 1, "Runbook: kernel upgrade.")));
      e.keepRollbackFor(Duration.ofSeconds(2));
      String first = switchTo(e, dir.resolve("tuned-1"));
      long switched = System.nanoTime();
      assertThat(e.rollback()).isEqualTo(first); // within the window
      TestUtils.waitForCondition(
          () -> e.previousModelId().isEmpty(),
          Duration.ofMinutes(1),
          "the rollback dropped after its window");
      assertThat(Duration.ofNanos(System.nanoTime() - switched))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
      assertThat(e.modelId()).isEqualTo(first);
      e.ingest(connector, List.of(ModelSwitchTest.doc("doc-2", 1, "Runbook: key rotation.")));
      assertThat(embedded("rollback")).isZero();
      assertThat(found(e, "runbook")).containsExactlyInAnyOrder("doc-1", "doc-2");
    }
  }
}
