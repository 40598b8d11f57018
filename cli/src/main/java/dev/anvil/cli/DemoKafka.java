package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.ingest.kafka.DocumentProducer;
import dev.anvil.context.ingest.kafka.DocumentRecord;
import dev.anvil.context.ingest.kafka.KafkaIngestor;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.events.KafkaTopics;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import io.opentelemetry.api.OpenTelemetry;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The demo's Kafka leg: a real broker on 127.0.0.1, the corpus produced, consumed, dead letters.
 */
final class DemoKafka {
  private static final String TOPIC = "anvil.documents";

  private DemoKafka() {}

  static void ingest(
      PrintWriter out,
      Path dir,
      ContextEngine engine,
      Principal connector,
      PrincipalDirectory people,
      List<Document> docs)
      throws Exception {
    try (LocalKafka broker = LocalKafka.start(dir, 0)) {
      Map<String, Object> client = Map.of("bootstrap.servers", broker.bootstrapServers());
      out.printf("Kafka broker (KRaft) on %s%n", broker.bootstrapServers());
      KafkaTopics.ensure(client, TOPIC, true);
      try (DocumentProducer producer = new DocumentProducer(client, TOPIC)) {
        for (Document d : docs) {
          producer.send(new DocumentRecord.Upsert(d, Optional.empty()));
        }
        Document untagged =
            new Document("untagged-memo", 1, "Memo", "A memo someone forgot to tag.", "", Map.of());
        producer.send(new DocumentRecord.Upsert(untagged, Optional.empty()));
        producer.flush();
      }
      out.printf("produced %d records to %s%n", docs.size() + 1, TOPIC);
      try (KafkaIngestor ingestor =
          KafkaIngestor.start(
              engine,
              KafkaIngestor.Config.defaults(broker.bootstrapServers(), "anvil-demo"),
              connector,
              people::find,
              OpenTelemetry.noop())) {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (processed(ingestor) < docs.size() + 1 && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        KafkaIngestor.Stats s = ingestor.stats();
        out.printf(
            "consumed: %d indexed (%d chunks, model %s), %d dead-lettered%n",
            s.indexed(), engine.chunkCount(), engine.modelId(), s.deadLettered());
      }
      printDeadLetters(out, client);
    }
  }

  private static long processed(KafkaIngestor ingestor) {
    KafkaIngestor.Stats s = ingestor.stats();
    return s.indexed() + s.ignored() + s.deadLettered();
  }

  private static void printDeadLetters(PrintWriter out, Map<String, Object> client) {
    TopicPartition dlq = new TopicPartition(TOPIC + ".dlq", 0);
    try (var consumer =
        new KafkaConsumer<>(client, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(List.of(dlq));
      consumer.seekToBeginning(List.of(dlq));
      for (var r : consumer.poll(Duration.ofSeconds(5))) {
        var reason = r.headers().lastHeader("anvil.dlq.reason");
        out.printf(
            "  %s.dlq: %s: %s%n",
            TOPIC,
            new String(r.key(), StandardCharsets.UTF_8),
            reason == null ? "?" : new String(reason.value(), StandardCharsets.UTF_8));
      }
    }
  }
}
