package dev.anvil.judge.kafka;

import dev.anvil.events.KafkaTopics;
import dev.anvil.judge.spi.JudgmentEvents;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Judgment events to a Kafka topic ({@value #DEFAULT_TOPIC} unless configured otherwise), keyed by
 * item id, with the producer settings of records that must not be lost. Thread-safe.
 */
public final class KafkaJudgmentEvents implements JudgmentEvents, AutoCloseable {
  /** The topic unless configured otherwise. */
  public static final String DEFAULT_TOPIC = "anvil.judgments";

  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;

  /**
   * A producer for {@code topic} on the cluster of {@code client}; the topic is created if absent.
   */
  public KafkaJudgmentEvents(Map<String, Object> client, String topic) {
    KafkaTopics.ensure(client, topic, false);
    this.topic = topic;
    this.producer =
        new KafkaProducer<>(
            KafkaTopics.reliableProducer(client),
            new ByteArraySerializer(),
            new ByteArraySerializer());
  }

  @Override
  public void send(List<Event> events) {
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    for (Event e : events) {
      acks.add(
          producer.send(
              new ProducerRecord<>(
                  topic,
                  e.key().getBytes(StandardCharsets.UTF_8),
                  e.json().getBytes(StandardCharsets.UTF_8))));
    }
    try {
      for (Future<RecordMetadata> f : acks) {
        f.get(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending judgment events", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("judgment events not acknowledged by " + topic + ": " + e, e);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
