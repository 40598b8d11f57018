package dev.anvil.context.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.api.Document;
import dev.anvil.context.audit.AuditChain;
import dev.anvil.context.audit.AuditEvent;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.audit.AuditShipper;
import dev.anvil.context.index.CommittedIndex;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.events.EventEnvelope;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rbac.TestUtils;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Takes the broker away in the middle of ingestion and brings it back: the running ingestor
 * recovers by itself and loses nothing, and audit events written while the broker was down reach
 * the audit topic afterwards. Lag and throughput are OpenTelemetry metrics.
 */
@Tag("heavy")
class KafkaBrokerRestartTest {
  @TempDir Path dir;

  private final PrincipalDirectory people =
      PrincipalDirectory.load(TestPacks.example().principalsFile());

  private static List<Map.Entry<byte[], byte[]>> docs(int from, int to) {
    List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      String id = "doc-" + i;
      Document d =
          new Document(
              id,
              1,
              "",
              "Restart note " + i + " on leaders and replicas.",
              "",
              Map.of("classification", "internal", "department", List.of("engineering")));
      out.add(
          Map.entry(id.getBytes(StandardCharsets.UTF_8), new DocumentRecord.Upsert(d).toJson()));
    }
    return out;
  }

  /** The lag gauge summed over partitions; both partitions must report. */
  private static long lag(InMemoryMetricReader metrics) {
    List<LongPointData> points =
        metrics.collectAllMetrics().stream()
            .filter(m -> m.getName().equals("anvil.kafka.ingest.lag"))
            .flatMap(m -> m.getLongGaugeData().getPoints().stream())
            .toList();
    assertThat(points)
        .extracting(p -> p.getAttributes().get(AttributeKey.longKey("messaging.partition")))
        .containsExactlyInAnyOrder(0L, 1L);
    return points.stream().mapToLong(LongPointData::getValue).sum();
  }

  private static AuditEvent searched(String subject) {
    return new AuditEvent(
        Instant.now(),
        subject,
        subject,
        "test",
        "search",
        "sha256:00",
        List.of(),
        "v",
        "m",
        "OK",
        "");
  }

  @Test
  void theEngineRidesOutABrokerRestart() throws Exception {
    Path auditFile = dir.resolve("audit.jsonl");
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0);
        ContextEngine engine =
            ContextEngine.open(
                dir.resolve("index"), PolicyStore.open(TestPacks.example()), SharedEmbedder.get());
        AuditLog audit = AuditLog.open(auditFile)) {
      KafkaTestSupport k = new KafkaTestSupport(kafka.bootstrapServers());
      k.createTopic("docs", 2);
      KafkaIngestor.Config config =
          KafkaIngestor.Config.defaults(kafka.bootstrapServers(), "replica-r")
              .withTopic("docs")
              .withMaxBatch(16);
      InMemoryMetricReader metrics = InMemoryMetricReader.create();
      OpenTelemetrySdk otel =
          OpenTelemetrySdk.builder()
              .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
              .build();
      // Short client timeouts, so a send to a stopped broker fails in seconds.
      Map<String, Object> quick = new java.util.HashMap<>(k.client());
      quick.put("max.block.ms", 2_000);
      quick.put("request.timeout.ms", 1_000);
      quick.put("delivery.timeout.ms", 2_000);
      AuditShipper shipper = AuditShipper.start(audit, quick, "audit", "anvil-context-engine/test");
      try (KafkaIngestor ingestor =
          KafkaIngestor.start(engine, config, people.find("kafka-connector").orElseThrow(), otel)) {
        k.produce("docs", docs(0, 600));
        audit.append(searched("before"));
        TestUtils.waitForCondition(
            () -> ingestor.stats().indexed() >= 50, Duration.ofSeconds(60), "50 records indexed");
        assertThat(lag(metrics)).as("lag while ingesting").isPositive();
        kafka.stop();
        long indexedWhenStopped = ingestor.stats().indexed();
        for (int i = 0; i < 5; i++) {
          audit.append(searched("while-down-" + i));
        }
        // The shipper tried, failed, and kept the events (not merely: had not tried yet).
        TestUtils.waitForCondition(
            shipper::failing, Duration.ofSeconds(60), "the audit shipper to see the broker gone");
        assertThat(shipper.unsentRecords()).as("audit events wait for the broker").isPositive();
        kafka.start();
        audit.append(searched("after"));
        k.produce("docs", docs(600, 800));
        k.awaitCaughtUp("docs", engine::checkpoint, Duration.ofMinutes(3));
        assertThat(indexedWhenStopped).as("the broker went away mid-ingestion").isLessThan(800);
        assertThat(ingestor.stats().indexed()).isEqualTo(800);
        TestUtils.waitForCondition(
            () -> lag(metrics) == 0, Duration.ofSeconds(30), "the lag gauge at 0 when caught up");
        assertThat(
                metrics.collectAllMetrics().stream()
                    .filter(m -> m.getName().equals("anvil.kafka.ingest.records"))
                    .flatMap(m -> m.getLongSumData().getPoints().stream())
                    .filter(
                        p ->
                            "indexed"
                                .equals(
                                    p.getAttributes().get(AttributeKey.stringKey("anvil.outcome"))))
                    .mapToLong(LongPointData::getValue)
                    .sum())
            .isEqualTo(800);
      } finally {
        shipper.close(Duration.ofSeconds(30));
      }
      assertThat(shipper.unsentRecords()).isZero();
      for (int i = 0; i < 800; i++) {
        assertThat(CommittedIndex.version(dir.resolve("index"), "doc-" + i))
            .as("doc-" + i)
            .hasValue(1);
      }
      assertThat(k.committed("replica-r")).isEqualTo(k.endOffsets("docs"));

      Set<String> shipped = new HashSet<>();
      long topSeq = 0;
      String topSha = "";
      for (var r : k.readAll("audit")) {
        EventEnvelope e = EventEnvelope.parse(new String(r.value(), StandardCharsets.UTF_8));
        assertThat(e.type()).isEqualTo("anvil.audit.search");
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(e.id());
        shipped.add(e.data().get("subject").getAsString());
        if (e.data().get("seq").getAsLong() > topSeq) {
          topSeq = e.data().get("seq").getAsLong();
          topSha = e.data().get("sha256").getAsString();
        }
      }
      // The topic holds the chain's head, outside the reach of whoever can write the file.
      assertThat(new AuditChain.Link(topSeq, topSha)).isEqualTo(audit.head());
      assertThat(shipped)
          .containsExactlyInAnyOrder(
              "before",
              "while-down-0",
              "while-down-1",
              "while-down-2",
              "while-down-3",
              "while-down-4",
              "after");
      assertThat(Files.readString(auditFile.resolveSibling("audit.jsonl.sent")).strip())
          .isEqualTo(Long.toString(audit.head().seq()));
    }
  }
}
