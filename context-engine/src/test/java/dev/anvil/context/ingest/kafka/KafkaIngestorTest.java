package dev.anvil.context.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.index.CommittedIndex;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestUtils;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingestor's flow control on a real broker, with a slow embedder standing in for a busy GPU: it
 * pauses instead of buffering, a graceful stop indexes what is queued and commits, and a replica
 * with an empty disk rebuilds from the topic whatever its group committed.
 */
class KafkaIngestorTest {
  static final int BATCH = 8;

  @TempDir static Path kafkaDir;
  @TempDir Path dir;
  static LocalKafka kafka;
  static KafkaTestSupport k;

  private final PrincipalDirectory people =
      PrincipalDirectory.load(TestPacks.example().principalsFile());
  private final Principal connector = people.find("kafka-connector").orElseThrow();

  @BeforeAll
  static void broker() {
    kafka = LocalKafka.start(kafkaDir, 0);
    k = new KafkaTestSupport(kafka.bootstrapServers());
  }

  @AfterAll
  static void stop() {
    kafka.close();
  }

  /** Hash-seeded unit vectors, after a pause per call: embedding that cannot keep up. */
  private static HashEmbedder slow(long millisPerCall) {
    return HashEmbedder.of("slow-hash", 8).pausing(Duration.ofMillis(millisPerCall));
  }

  private static List<Map.Entry<byte[], byte[]>> docs(int n) {
    List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Document d =
          new Document(
              "doc-" + i,
              1,
              "",
              "Flow control note " + i + ".",
              "",
              Map.of("classification", "internal", "department", List.of("engineering")));
      out.add(
          Map.entry(
              d.id().getBytes(StandardCharsets.UTF_8), new DocumentRecord.Upsert(d).toJson()));
    }
    return out;
  }

  private ContextEngine engine(Path index, long millisPerCall) {
    return ContextEngine.open(index, PolicyStore.open(TestPacks.example()), slow(millisPerCall));
  }

  private KafkaIngestor start(ContextEngine engine, String topic, String group) {
    return KafkaIngestor.start(
        engine,
        KafkaIngestor.Config.defaults(kafka.bootstrapServers(), group)
            .withTopic(topic)
            .withMaxBatch(BATCH),
        connector,
        OpenTelemetry.noop());
  }

  @Test
  void whenIndexingFallsBehindTheConsumerPausesInsteadOfBuffering() throws Exception {
    k.createTopic("slow", 2);
    k.produce("slow", docs(400));
    long maxBuffered = 0;
    long maxLag = 0;
    try (ContextEngine engine = engine(dir, 20);
        KafkaIngestor ingestor = start(engine, "slow", "g-slow")) {
      // Sampled as often as possible (not through waitFor's back-off), within a deadline.
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (ingestor.stats().indexed() < 400) {
        assertThat(System.nanoTime()).as("all indexed within 2 minutes").isLessThan(deadline);
        KafkaIngestor.Stats s = ingestor.stats();
        maxBuffered = Math.max(maxBuffered, s.buffered());
        maxLag = Math.max(maxLag, s.lag().values().stream().mapToLong(Long::longValue).sum());
        Thread.sleep(2);
      }
    }
    assertThat(maxLag).as("records waited in Kafka").isGreaterThan(200);
    // At most a full queue while the indexing thread works on what it drained from a full queue
    // (the group commit takes every queued batch at once).
    assertThat(maxBuffered)
        .as("records held in memory")
        .isPositive()
        .isLessThanOrEqualTo(2L * KafkaIngestor.QUEUED_BATCHES * BATCH);
  }

  @Test
  void statsCountEveryRecordTheIndexCheckpointHasPassed() throws Exception {
    // A reader that sees a checkpoint and then reads the counters must find every record before
    // that checkpoint counted: a counter that lags the commit reads as records that went missing.
    k.createTopic("counted", 1);
    k.produce("counted", docs(400));
    List<String> lagging = new ArrayList<>();
    try (ContextEngine engine = engine(dir, 0);
        KafkaIngestor ingestor = start(engine, "counted", "g-counted")) {
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      long at = 0;
      while (at < 400) {
        assertThat(System.nanoTime()).as("caught up within 2 minutes").isLessThan(deadline);
        at =
            KafkaTestSupport.positions(engine.checkpoint(), "counted").values().stream()
                .mapToLong(Long::longValue)
                .sum();
        long counted = ingestor.stats().indexed();
        if (counted < at) {
          lagging.add("checkpoint at " + at + ", counted " + counted);
        }
      }
    }
    assertThat(lagging).isEmpty();
  }

  @Test
  void aGracefulStopIndexesWhatIsQueuedAndCommitsIt() throws Exception {
    k.createTopic("stop", 1);
    k.produce("stop", docs(400));
    try (ContextEngine engine = engine(dir, 20)) {
      KafkaIngestor ingestor = start(engine, "stop", "g-stop");
      TestUtils.waitForCondition(
          () -> ingestor.stats().indexed() >= 40, Duration.ofMinutes(1), "40 records indexed");
      ingestor.close();
      KafkaIngestor.Stats s = ingestor.stats();
      assertThat(s.buffered()).isZero();
      assertThat(s.indexed()).isLessThan(400);
      var inIndex = KafkaTestSupport.positions(engine.checkpoint(), "stop");
      assertThat(inIndex.values()).containsExactly(s.indexed());
      assertThat(k.committed("g-stop")).isEqualTo(inIndex);
    }
  }

  @Test
  void aBatchSpanLinksToEachProducersTraceAndHoldsTheIngest() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
            .build()) {
      k.createTopic("traced", 1);
      Span upload = otel.getTracer("test").spanBuilder("upload").startSpan();
      try (var scope = upload.makeCurrent();
          DocumentProducer producer = new DocumentProducer(k.client(), "traced", otel)) {
        for (var r : docs(5)) {
          producer.send(DocumentRecord.parse(r.getKey(), r.getValue())).get();
        }
      } finally {
        upload.end();
      }
      try (ContextEngine engine =
              ContextEngine.open(dir, PolicyStore.open(TestPacks.example()), slow(0), otel);
          KafkaIngestor ingestor =
              KafkaIngestor.start(
                  engine,
                  KafkaIngestor.Config.defaults(kafka.bootstrapServers(), "g-traced")
                      .withTopic("traced"),
                  connector,
                  otel)) {
        k.awaitCaughtUp("traced", engine::checkpoint, Duration.ofMinutes(1));
      }
      List<SpanData> all = spans.getFinishedSpanItems();
      SpanData batch =
          all.stream()
              .filter(x -> x.getName().equals("anvil.kafka.batch"))
              .findFirst()
              .orElseThrow();
      assertThat(batch.getLinks())
          .isNotEmpty()
          .allMatch(
              l -> l.getSpanContext().getTraceId().equals(upload.getSpanContext().getTraceId()));
      assertThat(batch.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.CONSUMER);
      SpanData ingest =
          all.stream()
              .filter(
                  x ->
                      x.getName().equals("anvil.ingest")
                          && x.getParentSpanId().equals(batch.getSpanId()))
              .findFirst()
              .orElseThrow();
      assertThat(all)
          .filteredOn(x -> x.getParentSpanId().equals(ingest.getSpanId()))
          .extracting(SpanData::getName)
          .contains("anvil.embed");
      assertThat(all)
          .filteredOn(x -> x.getParentSpanId().equals(batch.getSpanId()))
          .extracting(SpanData::getName)
          .containsExactly("anvil.ingest", "anvil.index.commit"); // the commit holds the offsets
    }
  }

  @Test
  void aReplicaWithAnEmptyDiskRebuildsFromTheTopicWhateverItsGroupCommitted() throws Exception {
    k.createTopic("replicas", 3);
    List<Map.Entry<byte[], byte[]>> records = new ArrayList<>(docs(200));
    records.add(
        Map.entry(
            "doc-7".getBytes(StandardCharsets.UTF_8), new DocumentRecord.Delete("doc-7").toJson()));
    k.produce("replicas", records);
    try (ContextEngine first = engine(dir.resolve("first"), 0);
        KafkaIngestor ingestor = start(first, "replicas", "g-replica")) {
      k.awaitCaughtUp("replicas", first::checkpoint, Duration.ofMinutes(1));
    }
    assertThat(k.committed("g-replica")).isEqualTo(k.endOffsets("replicas"));

    // The disk is lost; the replica comes back with the same group and an empty index.
    try (ContextEngine rebuilt = engine(dir.resolve("rebuilt"), 0);
        KafkaIngestor ingestor = start(rebuilt, "replicas", "g-replica")) {
      k.awaitCaughtUp("replicas", rebuilt::checkpoint, Duration.ofMinutes(1));
      assertThat(rebuilt.chunkCount()).isEqualTo(199);
      assertThat(CommittedIndex.version(dir.resolve("rebuilt"), "doc-7")).isEmpty();
      assertThat(CommittedIndex.version(dir.resolve("rebuilt"), "doc-8")).hasValue(1);
    }
  }
}
