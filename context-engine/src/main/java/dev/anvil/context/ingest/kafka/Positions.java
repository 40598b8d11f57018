package dev.anvil.context.ingest.kafka;

import dev.anvil.context.ContextEngine;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the consumer reads: positions live in the index (its checkpoint), so a partition is read
 * from the offset the index holds; Kafka's committed offsets only follow the index, for lag
 * monitoring and tools. Used by the poll thread (the consumer's only user), fed by the indexing
 * thread through {@link #durable}.
 */
final class Positions {
  private static final Logger LOG = LoggerFactory.getLogger(Positions.class);

  private final KafkaConsumer<byte[], byte[]> consumer;
  private final ContextEngine engine;
  private final String topic;

  /** Next offsets the index holds durably, for the poll thread to commit to Kafka. */
  private final Map<TopicPartition, Long> durable = new ConcurrentHashMap<>();

  /** What the poll thread last committed (touched by the poll thread only). */
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  Positions(KafkaConsumer<byte[], byte[]> consumer, ContextEngine engine, String topic) {
    this.consumer = consumer;
    this.engine = engine;
    this.topic = topic;
  }

  /** The index now holds everything before these offsets (from the indexing thread). */
  void durable(Map<TopicPartition, Long> next) {
    durable.putAll(next);
  }

  /**
   * Assigns every partition of the topic not in {@code assigned} (adding it there), each at the
   * offset the index holds, or at the beginning when the index has nothing of it.
   */
  void assignNew(Set<TopicPartition> assigned) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
    if (infos == null || infos.isEmpty()) {
      throw new KafkaException("topic " + topic + " has no partitions (yet)");
    }
    Set<TopicPartition> all = new HashSet<>();
    infos.forEach(i -> all.add(new TopicPartition(i.topic(), i.partition())));
    if (assigned.containsAll(all)) {
      return;
    }
    consumer.assign(all);
    Map<String, String> checkpoint = engine.checkpoint();
    for (TopicPartition tp : all) {
      if (assigned.contains(tp)) {
        continue;
      }
      seek(tp, checkpoint.get(KafkaIngestor.checkpointKey(tp)));
    }
    assigned.clear();
    assigned.addAll(all);
  }

  /**
   * For a consumer of the group that replicas sharing one cluster index form: each partition
   * assigned is read from the offset the index holds (whoever consumed it before committed there);
   * before partitions are taken away, {@code drain} indexes what was polled and the offsets are
   * committed, so the next owner starts where this one stopped and nothing is indexed twice.
   */
  ConsumerRebalanceListener rebalance(Runnable drain) {
    return new ConsumerRebalanceListener() {
      @Override
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        drain.run();
        try {
          commit();
        } catch (KafkaException e) {
          LOG.warn(
              "offset commit before a rebalance failed ({}); the index holds them", e.toString());
        }
        partitions.forEach(
            tp -> {
              durable.remove(tp);
              committed.remove(tp);
            });
      }

      @Override
      public void onPartitionsLost(Collection<TopicPartition> partitions) {
        partitions.forEach(
            tp -> {
              durable.remove(tp);
              committed.remove(tp);
            });
      }

      @Override
      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        Map<String, String> checkpoint = engine.checkpoint();
        for (TopicPartition tp : partitions) {
          seek(tp, checkpoint.get(KafkaIngestor.checkpointKey(tp)));
        }
      }
    };
  }

  private void seek(TopicPartition tp, String next) {
    if (next != null) {
      consumer.seek(tp, Long.parseLong(next));
    } else {
      consumer.seekToBeginning(List.of(tp)); // the index has nothing of this partition yet
    }
    LOG.info(
        "consuming {} from {}", tp, next == null ? "the beginning" : "offset " + next + " (index)");
  }

  /** Commits to Kafka what the index holds and Kafka does not have yet. */
  void commit() {
    Map<TopicPartition, OffsetAndMetadata> todo = new HashMap<>();
    durable.forEach(
        (tp, next) -> {
          if (!next.equals(committed.get(tp))) {
            todo.put(tp, new OffsetAndMetadata(next));
          }
        });
    if (!todo.isEmpty()) {
      consumer.commitSync(todo, Duration.ofSeconds(10));
      todo.forEach((tp, o) -> committed.put(tp, o.offset()));
    }
  }
}
