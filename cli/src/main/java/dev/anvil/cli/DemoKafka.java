package dev.anvil.cli;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Document;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.ingest.kafka.DocumentProducer;
import dev.anvil.context.ingest.kafka.DocumentRecord;
import dev.anvil.context.ingest.kafka.KafkaIngestor;
import dev.anvil.devkafka.LocalKafka;
import dev.anvil.rbac.PrincipalDirectory;
import io.opentelemetry.api.OpenTelemetry;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The demo's Kafka leg: a real broker on 127.0.0.1, one documents topic per source, each written by
 * that source's connector identity; the corpus produced and consumed, and the records that cannot
 * be indexed (an untagged memo, a forged HR document on the intranet's topic) in the dead letters.
 */
final class DemoKafka {
  private static final String TOPIC = "anvil.documents";

  private DemoKafka() {}

  /** The topic of a document's source, and the connector identity bound to it. */
  private static String topicOf(Document d) {
    Object source = d.tags().get("source");
    return source == null ? TOPIC : TOPIC + "." + source;
  }

  private static String writerOf(String topic) {
    return topic.equals(TOPIC)
        ? "kafka-connector"
        : topic.substring(TOPIC.length() + 1) + "-connector";
  }

  static void ingest(
      PrintWriter out,
      Path dir,
      ContextEngine engine,
      PrincipalDirectory people,
      List<Document> docs,
      AuditLog audit)
      throws Exception {
    Map<String, List<Document>> byTopic = new LinkedHashMap<>();
    byTopic.put(TOPIC, new ArrayList<>());
    docs.forEach(d -> byTopic.computeIfAbsent(topicOf(d), t -> new ArrayList<>()).add(d));
    List<Document> bad =
        List.of(
            new Document("untagged-memo", 1, "Memo", "A memo someone forgot to tag.", "", Map.of()),
            // The intranet's connector tries to overwrite an HR document: its topic's identity may
            // not write the HR system's source, whatever the record says.
            new Document(
                "hr-system/hr-salary-bands-2027",
                2,
                "Salary bands 2027",
                "All salary bands are frozen.",
                "",
                Map.of(
                    "classification", "public",
                    "department", List.of("all-staff"),
                    "source", "hr-system")));
    byTopic.get(TOPIC).addAll(bad);
    try (LocalKafka broker = LocalKafka.start(dir, 0)) {
      Map<String, Object> client = Map.of("bootstrap.servers", broker.bootstrapServers());
      out.printf("Kafka broker (KRaft) on %s%n", broker.bootstrapServers());
      List<KafkaIngestor> ingestors = new ArrayList<>();
      int records = 0;
      try {
        for (var e : byTopic.entrySet()) {
          String writer = writerOf(e.getKey());
          ingestors.add(
              KafkaIngestor.start(
                  engine,
                  KafkaIngestor.Config.defaults(broker.bootstrapServers(), "anvil-demo")
                      .withTopic(e.getKey()),
                  people.find(writer).orElseThrow(),
                  audit.recorder(writer, writer, "kafka:" + e.getKey(), engine::modelId),
                  OpenTelemetry.noop()));
          try (DocumentProducer producer = new DocumentProducer(client, e.getKey())) {
            for (Document d : e.getValue()) {
              producer.send(new DocumentRecord.Upsert(d));
            }
            producer.flush();
          }
          records += e.getValue().size();
          out.printf(
              "produced %d records to %s (written by %s)%n",
              e.getValue().size(), e.getKey(), writer);
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (processed(ingestors) < records && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        long indexed = ingestors.stream().mapToLong(i -> i.stats().indexed()).sum();
        long dead = ingestors.stream().mapToLong(i -> i.stats().deadLettered()).sum();
        out.printf(
            "consumed: %d indexed (%d chunks, model %s), %d dead-lettered%n",
            indexed, engine.chunkCount(), engine.modelId(), dead);
      } finally {
        ingestors.forEach(KafkaIngestor::close);
      }
      printDeadLetters(out, client, byTopic.keySet());
    }
  }

  private static long processed(List<KafkaIngestor> ingestors) {
    return ingestors.stream()
        .map(KafkaIngestor::stats)
        .mapToLong(s -> s.indexed() + s.ignored() + s.deadLettered())
        .sum();
  }

  private static void printDeadLetters(
      PrintWriter out, Map<String, Object> client, Iterable<String> topics) {
    try (var consumer =
        new KafkaConsumer<>(client, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      for (String topic : topics) {
        TopicPartition dlq = new TopicPartition(topic + ".dlq", 0);
        consumer.assign(List.of(dlq));
        consumer.seekToBeginning(List.of(dlq));
        for (var r : consumer.poll(Duration.ofSeconds(2))) {
          var reason = r.headers().lastHeader("anvil.dlq.reason");
          out.printf(
              "  %s.dlq: %s: %s%n",
              topic,
              new String(r.key(), StandardCharsets.UTF_8),
              reason == null ? "?" : new String(reason.value(), StandardCharsets.UTF_8));
        }
      }
    }
  }
}
