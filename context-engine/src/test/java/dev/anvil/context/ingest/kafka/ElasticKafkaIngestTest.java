package dev.anvil.context.ingest.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.backend.IndexBackend;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.index.elastic.ClusterDialect;
import dev.anvil.context.index.elastic.ElasticConfig;
import dev.anvil.context.index.elastic.ElasticNode;
import dev.anvil.context.serving.ModelRegistry;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka ingestion into an Elasticsearch index: valid records become searchable through bulk writes,
 * refused ones go to the dead-letter topic and never into the index, and the offsets the index
 * holds in its metadata are those Kafka has committed, after a restart too. Replicas sharing the
 * cluster index consume as one group, so each record is indexed once.
 */
@Tag("heavy")
class ElasticKafkaIngestTest {
  private static final int RECORDS = 600;
  @TempDir Path dir;

  private final PrincipalDirectory people =
      PrincipalDirectory.load(TestPacks.example().principalsFile());
  private final ElasticConfig cluster = ElasticNode.shared().freshConfig();

  private ContextEngine open() {
    return open("data");
  }

  /** An engine replica over the shared cluster index, with a data directory of its own. */
  private ContextEngine open(String dataDir) {
    return ContextEngine.open(
        dir.resolve(dataDir),
        new IndexBackend.Cluster(ClusterDialect.ELASTICSEARCH, cluster),
        PolicyStore.open(TestPacks.example()),
        HashEmbedder.of("hash", 16),
        d -> {
          throw new AssertionError("no model switch here");
        },
        ModelRegistry.none(),
        OpenTelemetry.noop());
  }

  @Test
  void replicasSharingTheClusterIndexIndexEachRecordOnce() throws Exception {
    List<Map.Entry<byte[], byte[]>> first = new ArrayList<>();
    List<Map.Entry<byte[], byte[]>> second = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      String id = "doc-" + i;
      byte[] value =
          new DocumentRecord.Upsert(
                  new Document(
                      id,
                      1,
                      "Note " + i,
                      "Kafka note k" + i + "z.",
                      "test://" + id,
                      Map.of("classification", "internal", "department", List.of("engineering"))))
              .toJson();
      (i < 200 ? first : second).add(Map.entry(id.getBytes(StandardCharsets.UTF_8), value));
    }
    String group = KafkaIngestor.sharedGroup(cluster.indexPrefix());
    Principal connector = people.find("kafka-connector").orElseThrow();
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0);
        ContextEngine one = open("data-1");
        ContextEngine two = open("data-2")) {
      assertThat(one.sharedIndex()).isTrue();
      KafkaTestSupport k = new KafkaTestSupport(kafka.bootstrapServers());
      k.createTopic("docs", 2);
      k.produce("docs", first);
      KafkaIngestor.Config config =
          KafkaIngestor.Config.defaults(kafka.bootstrapServers(), group)
              .withTopic("docs")
              .withMaxBatch(16);
      KafkaIngestor.Stats a;
      KafkaIngestor.Stats b;
      try (KafkaIngestor ingestorOne =
          KafkaIngestor.start(one, config, connector, OpenTelemetry.noop())) {
        dev.anvil.rbac.TestUtils.waitForCondition(
            () -> ingestorOne.stats().indexed() > 0, Duration.ofMinutes(1), "replica 1 indexing");
        // Replica 2 joins mid-stream: replica 1 hands a partition over after indexing what it
        // polled, and replica 2 reads it from the offset the shared index holds.
        try (KafkaIngestor ingestorTwo =
            KafkaIngestor.start(two, config, connector, OpenTelemetry.noop())) {
          k.produce("docs", second);
          k.awaitCaughtUp("docs", two::checkpoint, Duration.ofMinutes(3));
          a = ingestorOne.stats();
          b = ingestorTwo.stats();
        }
      }
      assertThat(a.indexed() + b.indexed()).as("every record indexed").isEqualTo(400);
      assertThat(a.ignored() + b.ignored()).as("no record indexed twice").isZero();
      assertThat(one.chunkCount()).isEqualTo(400);
      assertThat(two.get(people.find("alice").orElseThrow(), "doc-399")).hasSize(1);
      assertThat(k.committed(group)).isEqualTo(k.endOffsets("docs"));
    }
  }

  @Test
  void recordsAreBulkIndexedBadOnesDeadLetteredAndOffsetsKeptWithTheChunks() throws Exception {
    Set<String> refused = new TreeSet<>();
    List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i < RECORDS; i++) {
      String id = "doc-" + i;
      Map<String, Object> tags =
          Map.of("classification", "internal", "department", List.of("engineering"));
      if (i % 20 == 7) {
        tags = Map.of("classification", "secret", "department", List.of("engineering"));
        refused.add(id); // no such level: refused with the reason, never indexed
      }
      byte[] value =
          new DocumentRecord.Upsert(
                  new Document(id, 1, "Note " + i, "Kafka note k" + i + "z.", "test://" + id, tags))
              .toJson();
      records.add(Map.entry(id.getBytes(StandardCharsets.UTF_8), value));
    }
    Principal alice = people.find("alice").orElseThrow();
    try (LocalKafka kafka = LocalKafka.start(dir.resolve("kafka"), 0)) {
      KafkaTestSupport k = new KafkaTestSupport(kafka.bootstrapServers());
      k.createTopic("docs", 2);
      k.produce("docs", records);
      KafkaIngestor.Config config =
          KafkaIngestor.Config.defaults(kafka.bootstrapServers(), "replica-a").withTopic("docs");
      try (ContextEngine engine = open()) {
        try (KafkaIngestor ingestor =
            KafkaIngestor.start(
                engine,
                config,
                people.find("kafka-connector").orElseThrow(),
                OpenTelemetry.noop())) {
          k.awaitCaughtUp("docs", engine::checkpoint, Duration.ofMinutes(3));
          assertThat(ingestor.stats().indexed()).isEqualTo(RECORDS - refused.size());
          assertThat(ingestor.stats().deadLettered()).isEqualTo(refused.size());
        }
        assertThat(engine.chunkCount()).isEqualTo(RECORDS - refused.size());
        assertThat(engine.get(alice, "doc-8")).hasSize(1);
        assertThat(engine.get(alice, "doc-7")).isEmpty();
      }
      Set<String> dead = new TreeSet<>();
      k.readAll("docs.dlq").forEach(r -> dead.add(new String(r.key(), StandardCharsets.UTF_8)));
      assertThat(dead).isEqualTo(refused);
      assertThat(k.committed("replica-a")).isEqualTo(k.endOffsets("docs"));
      try (ContextEngine reopened = open()) { // the offsets live in the cluster with the chunks
        assertThat(KafkaTestSupport.positions(reopened.checkpoint(), "docs"))
            .isEqualTo(k.endOffsets("docs"));
        assertThat(reopened.chunkCount()).isEqualTo(RECORDS - refused.size());
      }
    }
  }
}
