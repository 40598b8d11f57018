package dev.anvil.context.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.SharedEmbedder;
import dev.anvil.context.api.Document;
import dev.anvil.context.api.SearchRequest;
import dev.anvil.context.index.CommittedIndex;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.rbac.PolicyStore;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 records through a real broker, one in ten bad in one of five ways: every valid document is
 * searchable, every bad record is in the dead-letter topic with its reason, and none of them is in
 * the index, tagged or not.
 */
@Tag("heavy")
class KafkaIngestTest {
  static final int RECORDS = 10_000;
  @TempDir Path dir;

  private final PrincipalDirectory people =
      PrincipalDirectory.load(TestPacks.example().principalsFile());

  /** The bad records, by id, with a piece of the reason the dead-letter header must carry. */
  private final Map<String, String> bad = new HashMap<>();

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private List<Map.Entry<byte[], byte[]>> records() {
    List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      // One in fifty claims to be an HR system document: not this topic's writer's to write.
      String id = i % 50 == 41 ? "hr-system/doc-" + i : "doc-" + i;
      Map<String, Object> tags =
          Map.of("classification", "internal", "department", List.of("engineering"));
      String body = "Ingest note " + i + " about Kafka partition k" + i + "z and cluster sizing.";
      byte[] value = null;
      switch (i % 50) {
        case 7 -> {
          value = utf8("{\"schema_version\":1,\"op\":\"upsert\",\"id\":\"" + id + "\"");
          bad.put(id, "not JSON");
        }
        case 13 -> {
          tags = Map.of("classification", "secret", "department", List.of("engineering"));
          bad.put(id, "'secret' is not allowed");
        }
        case 21 -> {
          value =
              utf8(
                  "{\"schema_version\":1,\"op\":\"upsert\",\"id\":\""
                      + id
                      + "\",\"version\":1,\"body\":\"untagged\"}");
          bad.put(id, "every document needs its tags");
        }
        case 29 -> {
          tags = Map.of();
          bad.put(id, "classification");
        }
        case 33 -> {
          // A record cannot pick its writer: the topic's identity writes every record.
          value =
              utf8(
                  "{\"schema_version\":1,\"op\":\"upsert\",\"id\":\""
                      + id
                      + "\",\"version\":1,\"body\":\"b\",\"tags\":{\"classification\":\"public\","
                      + "\"department\":[\"hr\"]},\"principal\":\"hr-system-connector\"}");
          bad.put(id, "a record may not name who writes it");
        }
        case 41 -> {
          tags =
              Map.of(
                  "classification", "internal", "department", List.of("hr"), "source", "hr-system");
          bad.put(id, "denied by policy default-deny for principal kafka-connector");
        }
        default -> {}
      }
      if (value == null) {
        value =
            new DocumentRecord.Upsert(new Document(id, 1, "Note " + i, body, "test://" + id, tags))
                .toJson();
      }
      out.add(Map.entry(utf8(id), value));
    }
    return out;
  }

  @Test
  void validDocumentsAreSearchableAndBadOnesDeadLettered() throws Exception {
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0);
        ContextEngine engine =
            ContextEngine.open(
                dir.resolve("index"),
                PolicyStore.open(TestPacks.example()),
                SharedEmbedder.get())) {
      KafkaTestSupport k = new KafkaTestSupport(kafka.bootstrapServers());
      k.createTopic("docs", 3);
      k.produce("docs", records());
      KafkaIngestor.Config config =
          KafkaIngestor.Config.defaults(kafka.bootstrapServers(), "replica-a").withTopic("docs");
      long start = System.nanoTime();
      try (KafkaIngestor ingestor =
          KafkaIngestor.start(
              engine, config, people.find("kafka-connector").orElseThrow(), OpenTelemetry.noop())) {
        k.awaitCaughtUp("docs", engine::checkpoint, Duration.ofMinutes(8));
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d records in %.1f s (%.0f/s)%n", RECORDS, seconds, RECORDS / seconds);
        KafkaIngestor.Stats stats = ingestor.stats();
        assertThat(stats.indexed()).isEqualTo(RECORDS - bad.size());
        assertThat(stats.deadLettered()).isEqualTo(bad.size());
        assertThat(stats.lag().values()).allMatch(l -> l == 0);
      }
      // Offsets committed after the index commit, and all of them by now (graceful close).
      assertThat(k.committed("replica-a")).isEqualTo(k.endOffsets("docs"));

      Principal alice = people.find("alice").orElseThrow();
      int searchable = 0;
      for (int i = 0; i < RECORDS; i++) {
        String id = i % 50 == 41 ? "hr-system/doc-" + i : "doc-" + i;
        if (bad.containsKey(id)) {
          assertThat(CommittedIndex.version(dir.resolve("index"), id)).as(id).isEmpty();
        } else {
          assertThat(engine.get(alice, id)).as(id).hasSize(1);
          searchable++;
        }
      }
      assertThat(searchable).isEqualTo(RECORDS - bad.size());
      assertThat(engine.chunkCount()).isEqualTo(searchable);
      assertThat(
              engine
                  .search(alice, SearchRequest.of("partition k4242z", 3))
                  .hits()
                  .getFirst()
                  .documentId())
          .isEqualTo("doc-4242");

      Map<String, ConsumerRecord<byte[], byte[]>> dead = new HashMap<>();
      for (var r : k.readAll("docs.dlq")) {
        dead.put(new String(r.key(), StandardCharsets.UTF_8), r);
      }
      assertThat(dead.keySet()).isEqualTo(bad.keySet());
      bad.forEach(
          (id, reason) -> {
            var r = dead.get(id);
            assertThat(header(r, DeadLetters.REASON)).as(id).contains(reason);
            assertThat(header(r, DeadLetters.TOPIC)).isEqualTo("docs");
            assertThat(header(r, DeadLetters.OFFSET)).matches("\\d+");
            assertThat(header(r, DeadLetters.PARTITION)).matches("[012]");
          });
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
