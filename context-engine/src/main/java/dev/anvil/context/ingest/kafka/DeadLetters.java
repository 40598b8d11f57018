package dev.anvil.context.ingest.kafka;

import dev.anvil.events.KafkaTopics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The dead-letter topic: a record that cannot be indexed goes there with its original key, value
 * and headers, plus headers that say why and where it came from:
 *
 * <ul>
 *   <li>{@code anvil.dlq.reason}: what is wrong, e.g. {@code unknown tag 'clasification'}
 *   <li>{@code anvil.dlq.field}: the field at fault, e.g. {@code tags.classification} (may be
 *       empty)
 *   <li>{@code anvil.dlq.topic}, {@code anvil.dlq.partition}, {@code anvil.dlq.offset}: the origin
 *   <li>{@code anvil.dlq.time}: when it was dead-lettered (ISO-8601)
 * </ul>
 */
final class DeadLetters implements AutoCloseable {
  static final String REASON = "anvil.dlq.reason";
  static final String FIELD = "anvil.dlq.field";
  static final String TOPIC = "anvil.dlq.topic";
  static final String PARTITION = "anvil.dlq.partition";
  static final String OFFSET = "anvil.dlq.offset";
  static final String TIME = "anvil.dlq.time";

  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;

  DeadLetters(Map<String, Object> client, String topic) {
    this.topic = topic;
    this.producer =
        new KafkaProducer<>(
            KafkaTopics.reliableProducer(client),
            new ByteArraySerializer(),
            new ByteArraySerializer());
  }

  /** Sends a record to the dead-letter topic; the future completes when it is stored. */
  Future<RecordMetadata> send(ConsumerRecord<byte[], byte[]> r, String field, String reason) {
    Headers h = new RecordHeaders(r.headers().toArray());
    h.add(REASON, utf8(reason));
    h.add(FIELD, utf8(field));
    h.add(TOPIC, utf8(r.topic()));
    h.add(PARTITION, utf8(Integer.toString(r.partition())));
    h.add(OFFSET, utf8(Long.toString(r.offset())));
    h.add(TIME, utf8(Instant.now().toString()));
    return producer.send(new ProducerRecord<>(topic, null, r.key(), r.value(), h));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    producer.close();
  }
}
