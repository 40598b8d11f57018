package dev.anvil.context.index;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.schema.DocTags;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bulk load leaves the index in several segments, and a filtered search pays its per-segment work
 * (the filter's bits, the graph search, the exact scan) in each: once writes pause, the embedded
 * index merges itself into one. It waits for the pause, leaves an index that is already mostly one
 * segment alone, and never makes durable a write the last checkpoint does not cover.
 */
class QuietMergeTest {
  @TempDir Path dir;

  static final Map<String, Object> TAGS =
      Map.of("classification", "internal", "department", List.of("engineering"));

  static Document doc(int i) {
    return new Document(
        "doc-" + i, 1, "Note " + i, "Runbook " + i + " for the kernel.", "test://" + i, TAGS);
  }

  static void write(LuceneIndex index, int from, int to) {
    DocTags tags = PolicyStore.open(TestPacks.example()).current().schema().validate(TAGS);
    for (int i = from; i < to; i++) {
      Document d = doc(i);
      float[] v = new float[8];
      v[i % 8] = 1;
      index.upsert(d, tags, List.of(d.body()), new int[] {8}, new float[][] {v});
    }
  }

  @Test
  void mergesASpreadIndexOnceWritesPauseAndNeverCommitsForIt() throws Exception {
    Path path = dir.resolve("index");
    try (LuceneIndex index = LuceneIndex.open(path, "m", "c")) {
      for (int batch = 0; batch < 4; batch++) {
        write(index, batch * 10, batch * 10 + 10);
        index.commit(Map.of("offset", Integer.toString(batch * 10 + 10)));
      }
      assertThat(index.stats().segments()).isEqualTo(4);
      assertThat(index.mergeWhenQuiet(Duration.ofHours(1))).as("written just now").isFalse();
      assertThat(index.mergeWhenQuiet(Duration.ofSeconds(Long.MAX_VALUE)))
          .as("a pause of centuries")
          .isFalse();
      assertThat(index.stats().segments()).isEqualTo(4);

      // A write its checkpoint does not cover yet, then the merge.
      write(index, 40, 41);
      index.refresh();
      assertThat(index.mergeWhenQuiet(Duration.ZERO)).isTrue();
      assertThat(index.stats()).extracting(ChunkIndex.Stats::segments).isEqualTo(1);
      assertThat(index.stats().chunks()).isEqualTo(41);
      assertThat(index.version("doc-40")).hasValue(1);
      // The last commit still holds what its checkpoint names, and not doc-40.
      try (FSDirectory d = FSDirectory.open(path);
          DirectoryReader committed = DirectoryReader.open(d)) {
        assertThat(committed.numDocs()).as("chunks of the last commit").isEqualTo(40);
      }
      assertThat(LuceneIndex.lastCheckpoint(path)).containsEntry("offset", "40");

      // A trickle after the merge adds a small segment: not worth rewriting the index for.
      write(index, 41, 43);
      index.refresh();
      assertThat(index.stats().segments()).isEqualTo(2);
      assertThat(index.mergeWhenQuiet(Duration.ZERO)).isFalse();
      assertThat(index.stats().segments()).isEqualTo(2);
    }
  }

  @Test
  void theEngineMergesItsServingIndexAfterABulkLoadWhileSearchesGoOn() throws Exception {
    InMemoryMetricReader metrics = InMemoryMetricReader.create();
    PrincipalDirectory people = PrincipalDirectory.load(TestPacks.example().principalsFile());
    Principal connector = people.find("kafka-connector").orElseThrow();
    Principal alice = people.find("alice").orElseThrow();
    try (OpenTelemetrySdk otel =
            OpenTelemetrySdk.builder()
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                .build();
        ContextEngine engine =
            ContextEngine.open(
                dir.resolve("engine"),
                PolicyStore.open(TestPacks.example()),
                SharedEmbedder.get(),
                otel)) {
      engine.mergeWhenQuiet(Duration.ofSeconds(Long.MAX_VALUE)); // never: no overflow either
      engine.mergeWhenQuiet(Duration.ofMillis(400));
      for (int batch = 0; batch < 3; batch++) { // each ingest commits: a segment each
        List<Document> docs = new ArrayList<>();
        for (int i = batch * 5; i < batch * 5 + 5; i++) {
          docs.add(doc(i));
        }
        engine.ingest(connector, docs);
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (segments(metrics) > 1 && System.nanoTime() < deadline) {
        assertThat(search(engine, alice)).as("searches go on").isEqualTo(15);
        Thread.sleep(50);
      }
      assertThat(segments(metrics)).isEqualTo(1);
      assertThat(search(engine, alice)).isEqualTo(15);
      assertThat(engine.mergeSegments()).as("nothing left to merge").isFalse();
    }
  }

  static long search(ContextEngine engine, Principal who) {
    return engine
        .search(who, new SearchRequest("runbook kernel", 50, 0, Map.of(), SearchRequest.Mode.BM25))
        .hits()
        .size();
  }

  static long segments(InMemoryMetricReader metrics) {
    for (MetricData m : metrics.collectAllMetrics()) {
      if (m.getName().equals("anvil.index.segments")) {
        return m.getLongGaugeData().getPoints().iterator().next().getValue();
      }
    }
    throw new AssertionError("no anvil.index.segments gauge");
  }
}
