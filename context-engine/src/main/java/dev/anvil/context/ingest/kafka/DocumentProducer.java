package dev.anvil.context.ingest.kafka;

import dev.anvil.events.KafkaTopics;
import dev.anvil.events.TraceHeaders;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Produces {@link DocumentRecord}s to a documents topic, keyed by document id (so one document's
 * changes stay in order), acknowledged by all replicas, with the W3C trace context of the caller in
 * the headers. {@link #close()} waits for what was sent.
 */
public final class DocumentProducer implements AutoCloseable {
  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;
  private final OpenTelemetry otel;

  /** A producer to {@code topic} with Kafka client settings {@code client}. */
  public DocumentProducer(Map<String, Object> client, String topic) {
    this(client, topic, GlobalOpenTelemetry.get());
  }

  /** The same, writing the current trace context of {@code otel} into each record's headers. */
  public DocumentProducer(Map<String, Object> client, String topic, OpenTelemetry otel) {
    this.topic = topic;
    this.otel = otel;
    this.producer =
        new KafkaProducer<>(
            KafkaTopics.reliableProducer(client),
            new ByteArraySerializer(),
            new ByteArraySerializer());
  }

  /** Sends a record; the future completes when the broker has stored it. */
  public Future<RecordMetadata> send(DocumentRecord record) {
    ProducerRecord<byte[], byte[]> r =
        new ProducerRecord<>(topic, record.id().getBytes(StandardCharsets.UTF_8), record.toJson());
    TraceHeaders.inject(otel, r.headers());
    return producer.send(r);
  }

  /** Waits until everything sent so far is stored (or failed). */
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close();
  }
}
