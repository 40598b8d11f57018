package dev.anvil.context.ingest.kafka;

import dev.anvil.rbac.TestUtils;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Plain Kafka client calls the Kafka tests share: produce, read a topic, offsets, waiting. */
final class KafkaTestSupport {
  private final Map<String, Object> client;

  KafkaTestSupport(String bootstrapServers) {
    this.client = Map.of("bootstrap.servers", bootstrapServers);
  }

  Map<String, Object> client() {
    return client;
  }

  void createTopic(String topic, int partitions) throws Exception {
    try (Admin admin = Admin.create(client)) {
      admin
          .createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty())))
          .all()
          .get();
    }
  }

  /** Produces (key, value) records in order and waits until all are stored. */
  void produce(String topic, List<Map.Entry<byte[], byte[]>> records) throws Exception {
    Map<String, Object> c = new HashMap<>(client);
    c.put("acks", "all");
    c.put("linger.ms", 5);
    try (var p = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (var r : records) {
        acks.add(p.send(new ProducerRecord<>(topic, r.getKey(), r.getValue())));
      }
      for (var f : acks) {
        f.get();
      }
    }
  }

  /** The end offset of every partition of a topic. */
  Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
    try (Admin admin = Admin.create(client)) {
      var desc = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      Map<TopicPartition, OffsetSpec> q = new HashMap<>();
      desc.partitions()
          .forEach(p -> q.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
      Map<TopicPartition, Long> out = new HashMap<>();
      admin.listOffsets(q).all().get().forEach((tp, info) -> out.put(tp, info.offset()));
      return out;
    }
  }

  /** The offsets a consumer group has committed. */
  Map<TopicPartition, Long> committed(String group) throws Exception {
    try (Admin admin = Admin.create(client)) {
      Map<TopicPartition, Long> out = new HashMap<>();
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      offsets.forEach((tp, o) -> out.put(tp, o.offset()));
      return out;
    }
  }

  /** Every record of a topic, from the beginning to its current end. */
  List<ConsumerRecord<byte[], byte[]>> readAll(String topic) throws Exception {
    Map<TopicPartition, Long> end = endOffsets(topic);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (var c =
        new KafkaConsumer<>(client, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.assign(end.keySet());
      c.seekToBeginning(end.keySet());
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + topic + " to its end");
        }
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  /** The index checkpoint as Kafka positions of a topic. */
  static Map<TopicPartition, Long> positions(Map<String, String> checkpoint, String topic) {
    Map<TopicPartition, Long> out = new HashMap<>();
    checkpoint.forEach(
        (k, v) -> {
          String prefix = "kafka." + topic + ".";
          if (k.startsWith(prefix)) {
            out.put(
                new TopicPartition(topic, Integer.parseInt(k.substring(prefix.length()))),
                Long.parseLong(v));
          }
        });
    return out;
  }

  /** Waits until {@code positions} reach the end of every partition of {@code topic}. */
  void awaitCaughtUp(String topic, Supplier<Map<String, String>> checkpoint, Duration timeout)
      throws Exception {
    Map<TopicPartition, Long> end = endOffsets(topic);
    TestUtils.waitFor(
        () -> positions(checkpoint.get(), topic),
        at ->
            end.entrySet().stream().allMatch(e -> at.getOrDefault(e.getKey(), 0L) >= e.getValue()),
        timeout,
        "the index checkpoint at the end of " + topic + " " + end);
  }
}
