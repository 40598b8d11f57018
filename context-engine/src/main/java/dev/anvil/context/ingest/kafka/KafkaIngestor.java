package dev.anvil.context.ingest.kafka;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.events.KafkaTopics;
import dev.anvil.rbac.Principal;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongGauge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes the documents topic into a {@link ContextEngine}.
 *
 * <p><b>Positions live in the index.</b> Each batch is applied, its bad records are acknowledged by
 * the dead-letter topic, and only then is the index committed, together with the next offset of
 * every partition in the batch ({@link ContextEngine#checkpoint()}); after that the offsets are
 * committed to Kafka too (for lag monitoring and tools). On start the consumer seeks to the offsets
 * the index holds, so a killed process re-reads exactly what its last commit does not contain, and
 * a replica with an empty disk reads the topic from the beginning whatever its group committed.
 * Redelivered upserts are ignored by (id, version); redelivered deletes find nothing to delete.
 *
 * <p><b>Every replica reads every partition</b> of its own embedded index: replicas keep full
 * copies, so the consumer assigns itself all partitions (no group rebalancing; new partitions are
 * picked up within {@link #PARTITION_REFRESH}), and the group id only names where offsets are
 * committed. <b>Replicas sharing a cluster index</b> ({@link ContextEngine#sharedIndex}) share the
 * work instead: they subscribe as one group ({@link #sharedGroup}), Kafka gives each partition to
 * one of them, and each record is indexed once. A partition changes hands only after its owner
 * indexed what it polled and committed the index, and the next owner reads from the offset the
 * index holds.
 *
 * <p><b>Back-pressure.</b> A poll thread hands batches to an indexing thread through a queue of
 * {@link #QUEUED_BATCHES}; when the queue is full, the partitions are paused (the poll thread keeps
 * polling so the client stays healthy) and resumed when indexing has caught up. Nothing is buffered
 * beyond that queue. Batches that queued up while one was being indexed are indexed together (one
 * embedding pass, one commit), so a busy engine makes fewer, larger commits.
 *
 * <p>Each batch is applied and committed by a {@link BatchApplier}. {@link #close()} stops polling,
 * indexes what is queued, commits, and returns.
 */
public final class KafkaIngestor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaIngestor.class);

  /** Batches waiting for the indexing thread before the partitions are paused. */
  static final int QUEUED_BATCHES = 2;

  /** How often the topic's partitions are listed, to pick up new ones. */
  static final Duration PARTITION_REFRESH = Duration.ofSeconds(30);

  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** Attempts at a batch that fails for a reason no retry cures, before it is split. */
  static final int POISON_ATTEMPTS = 2;

  private static final AttributeKey<Long> PARTITION = AttributeKey.longKey("messaging.partition");

  /**
   * Settings.
   *
   * @param client Kafka client settings: {@code bootstrap.servers} and any security settings
   * @param topic the documents topic
   * @param deadLetterTopic where records that cannot be indexed go
   * @param groupId the consumer group offsets are committed under; one per replica of an embedded
   *     index, one for all replicas sharing a cluster index ({@link #sharedGroup})
   * @param maxBatch most records in one batch (one embedding pass, one index commit)
   */
  public record Config(
      Map<String, Object> client,
      String topic,
      String deadLetterTopic,
      String groupId,
      int maxBatch) {
    public Config {
      client = Map.copyOf(client);
      Objects.requireNonNull(topic, "topic");
      Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
      Objects.requireNonNull(groupId, "groupId");
      if (maxBatch < 1) {
        throw new IllegalArgumentException("maxBatch must be >= 1, was " + maxBatch);
      }
    }

    /**
     * Topic {@code anvil.documents}, dead letters to {@code anvil.documents.dlq}, batches of 128.
     */
    public static Config defaults(String bootstrapServers, String groupId) {
      return new Config(
          Map.of("bootstrap.servers", bootstrapServers),
          "anvil.documents",
          "anvil.documents.dlq",
          groupId,
          128);
    }

    /** The same with another documents topic (its dead letters to {@code topic.dlq}). */
    public Config withTopic(String topic) {
      return new Config(client, topic, topic + ".dlq", groupId, maxBatch);
    }

    /** The same with batches of at most {@code maxBatch} records. */
    public Config withMaxBatch(int maxBatch) {
      return new Config(client, topic, deadLetterTopic, groupId, maxBatch);
    }
  }

  /**
   * Counts since start.
   *
   * @param indexed upserts indexed
   * @param ignored upserts of a version already indexed (redelivery, or out of date)
   * @param deleted deletes applied
   * @param deadLettered records sent to the dead-letter topic
   * @param lag records behind the end of each partition, as of the last poll
   * @param buffered records polled and not yet indexed (bounded by back-pressure)
   */
  public record Stats(
      long indexed,
      long ignored,
      long deleted,
      long deadLettered,
      Map<Integer, Long> lag,
      long buffered) {}

  private final ContextEngine engine;
  private final Config config;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final DeadLetters deadLetters;
  private final BlockingQueue<List<ConsumerRecord<byte[], byte[]>>> queue =
      new ArrayBlockingQueue<>(QUEUED_BATCHES);

  /** Records polled and not yet indexed. */
  private final AtomicInteger buffered = new AtomicInteger();

  private final Positions positions;

  private final Map<Integer, Long> lag = new ConcurrentHashMap<>();
  private final BatchApplier applier;
  private final ObservableLongGauge lagGauge;
  private final Thread poller;
  private final Thread indexer;
  private volatile boolean stopping;
  private volatile boolean pollerDone;

  private KafkaIngestor(
      ContextEngine engine, Config config, Principal writer, WriteAudit audit, OpenTelemetry otel) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.config = Objects.requireNonNull(config, "config");
    Map<String, Object> c = new HashMap<>(config.client());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxBatch());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "anvil-ingest-" + config.groupId());
    this.consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    this.deadLetters = new DeadLetters(config.client(), config.deadLetterTopic());
    this.positions = new Positions(consumer, engine, config.topic());
    this.applier = new BatchApplier(engine, config.topic(), writer, audit, deadLetters, otel);
    Meter meter = otel.getMeter(BatchApplier.SCOPE);
    this.lagGauge =
        meter
            .gaugeBuilder("anvil.kafka.ingest.lag")
            .ofLongs()
            .setDescription("Records between the consumer's position and the partition's end")
            .setUnit("{record}")
            .buildWithCallback(
                m ->
                    lag.forEach(
                        (p, l) ->
                            m.record(
                                l,
                                Attributes.of(
                                    BatchApplier.TOPIC, config.topic(), PARTITION, (long) p))));
    this.poller = new Thread(this::pollLoop, "anvil-kafka-poll");
    this.indexer = new Thread(this::indexLoop, "anvil-kafka-index");
  }

  /**
   * Creates the topics if they do not exist (the documents topic compacted, so that a new replica
   * can rebuild from it), then starts consuming.
   *
   * @param writer the identity the topic is bound to: it writes every record of the topic (a record
   *     cannot name another), so its policies decide; give each source its own topic and identity,
   *     and let Kafka's ACLs decide who may produce to each topic (docs/kafka.md)
   */
  public static KafkaIngestor start(
      ContextEngine engine, Config config, Principal writer, OpenTelemetry otel) {
    return start(engine, config, writer, WriteAudit.NONE, otel);
  }

  /**
   * {@link #start(ContextEngine, Config, Principal, OpenTelemetry)}, each batch's writes recorded
   * with {@code audit} before they are made, and its refusals (a record whose write could not be
   * recorded is retried, never dead-lettered: the audit log is not the record's fault).
   */
  public static KafkaIngestor start(
      ContextEngine engine, Config config, Principal writer, WriteAudit audit, OpenTelemetry otel) {
    KafkaTopics.ensure(config.client(), config.topic(), true);
    KafkaTopics.ensure(config.client(), config.deadLetterTopic(), false);
    KafkaIngestor ingestor = new KafkaIngestor(engine, config, writer, audit, otel);
    ingestor.poller.start();
    ingestor.indexer.start();
    return ingestor;
  }

  /**
   * Counts and lag. The counts include every batch whose commit is visible in the index's {@link
   * ContextEngine#checkpoint()}: whoever saw a checkpoint and then reads the counts finds every
   * record before it counted.
   */
  public Stats stats() {
    BatchApplier.Counts c = applier.counts();
    return new Stats(
        c.indexed(), c.ignored(), c.deleted(), c.deadLettered(), Map.copyOf(lag), buffered.get());
  }

  // ---- the poll thread: the only one that touches the consumer ----

  private void pollLoop() {
    Set<TopicPartition> assigned = new HashSet<>();
    long nextRefresh = 0;
    boolean paused = false;
    Duration backoff = Duration.ofMillis(100);
    try {
      if (engine.sharedIndex()) {
        consumer.subscribe(List.of(config.topic()), positions.rebalance(this::drain));
      }
      while (!stopping) {
        try {
          if (engine.sharedIndex()) {
            assigned.clear();
            assigned.addAll(consumer.assignment());
          } else if (assigned.isEmpty() || System.nanoTime() > nextRefresh) {
            positions.assignNew(assigned);
            nextRefresh = System.nanoTime() + PARTITION_REFRESH.toNanos();
          }
          positions.commit();
          var polled = consumer.poll(Duration.ofMillis(200));
          if (!polled.isEmpty()) {
            List<ConsumerRecord<byte[], byte[]>> batch = new ArrayList<>(polled.count());
            polled.forEach(batch::add);
            buffered.addAndGet(batch.size());
            queue.put(batch);
          }
          // Pause while the indexing thread's queue is full; keep polling (it returns nothing).
          if (queue.remainingCapacity() == 0) {
            consumer.pause(consumer.assignment());
            paused = true;
          } else if (paused && queue.isEmpty()) {
            consumer.resume(consumer.assignment());
            paused = false;
          }
          for (TopicPartition tp : assigned) {
            consumer.currentLag(tp).ifPresent(l -> lag.put(tp.partition(), l));
          }
          backoff = Duration.ofMillis(100);
        } catch (KafkaException e) {
          // The broker is away or slow: the client reconnects by itself; log and try again.
          LOG.warn("Kafka consumer: {}; retrying in {} ms", e.toString(), backoff.toMillis());
          sleep(backoff);
          backoff = min(backoff.multipliedBy(2), MAX_BACKOFF);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.error("Kafka ingestion stopped", e);
    } finally {
      // Let the indexing thread finish what is queued, then commit once more.
      while (buffered.get() > 0 && indexer.isAlive()) {
        sleep(Duration.ofMillis(50));
      }
      try {
        positions.commit();
      } catch (KafkaException e) {
        LOG.warn("final offset commit failed ({}); the index holds the positions", e.toString());
      }
      pollerDone = true;
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Waits until the indexing thread indexed and committed every record polled (a rebalance). */
  private void drain() {
    while (buffered.get() > 0 && indexer.isAlive()) {
      sleep(Duration.ofMillis(20));
    }
  }

  // ---- the indexing thread ----

  private void indexLoop() {
    while (!pollerDone || !queue.isEmpty()) {
      List<ConsumerRecord<byte[], byte[]>> batch;
      try {
        batch = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (batch == null) {
        continue;
      }
      // Group commit: what queued up while the last batch was indexed goes into this one.
      List<List<ConsumerRecord<byte[], byte[]>>> more = new ArrayList<>();
      queue.drainTo(more);
      if (!more.isEmpty()) {
        batch = new ArrayList<>(batch);
        more.forEach(batch::addAll);
      }
      indexWithRetries(batch);
      buffered.addAndGet(-batch.size());
    }
  }

  /**
   * Indexes a batch until it is done. A failure a retry can cure (the disk, the broker taking a
   * dead letter) is retried with back-off, for ever. Any other failure is retried once; if the
   * batch fails again it is split in halves, down to the record that can never be indexed, which
   * goes to the dead letters: one poison record never stalls the topic.
   */
  private void indexWithRetries(List<ConsumerRecord<byte[], byte[]>> batch) {
    Duration backoff = Duration.ofMillis(200);
    int failures = 0;
    while (!stopping) {
      try {
        positions.durable(applier.apply(batch));
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException | ExecutionException e) {
        // Nothing of the batch counts as done: retrying is safe (idempotent by id and version).
        if (retriable(e) || ++failures < POISON_ATTEMPTS) {
          LOG.warn("indexing a batch failed: {}; retrying in {} ms", e, backoff.toMillis());
          sleep(backoff);
          backoff = min(backoff.multipliedBy(2), MAX_BACKOFF);
          continue;
        }
        if (batch.size() > 1) {
          LOG.warn(
              "a batch of {} records failed twice ({}); looking for the record that cannot be"
                  + " indexed",
              batch.size(),
              e.toString());
          indexWithRetries(batch.subList(0, batch.size() / 2));
          indexWithRetries(batch.subList(batch.size() / 2, batch.size()));
          return;
        }
        deadLetterPoison(batch.getFirst(), e);
        return;
      }
    }
    LOG.warn("batch not finished at shutdown; it is read again on restart");
  }

  /** Sends a record that can never be indexed to the dead letters, retrying the send itself. */
  private void deadLetterPoison(ConsumerRecord<byte[], byte[]> r, Exception why) {
    LOG.error(
        "record {} at {}-{}/{} cannot be indexed: {}",
        key(r),
        r.topic(),
        r.partition(),
        r.offset(),
        why.toString());
    Duration backoff = Duration.ofMillis(200);
    while (!stopping) {
      try {
        positions.durable(applier.poison(r, "cannot be indexed: " + why));
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException | ExecutionException e) {
        LOG.warn(
            "dead-lettering a poison record failed: {}; retrying in {} ms", e, backoff.toMillis());
        sleep(backoff);
        backoff = min(backoff.multipliedBy(2), MAX_BACKOFF);
      }
    }
  }

  private static String key(ConsumerRecord<byte[], byte[]> r) {
    return r.key() == null
        ? "(no key)"
        : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Whether a retry can cure the failure: the index's disk, or the broker (a dead letter that could
   * not be stored). Anything else may be the batch's own fault.
   */
  private static boolean retriable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.io.IOException
          || t instanceof java.io.UncheckedIOException
          || t instanceof KafkaException
          || t instanceof ExecutionException) {
        return true;
      }
    }
    return false;
  }

  /**
   * The consumer group of every replica over the cluster index with prefix {@code indexPrefix}: one
   * group per shared index, so each record is indexed by one replica.
   */
  public static String sharedGroup(String indexPrefix) {
    return "anvil-context-engine-" + indexPrefix + "chunks";
  }

  /** The key under which the index checkpoint holds a partition's next offset. */
  public static String checkpointKey(TopicPartition tp) {
    return "kafka." + tp.topic() + "." + tp.partition();
  }

  @Override
  public void close() {
    stopping = true;
    try {
      poller.join();
      indexer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      deadLetters.close();
      lagGauge.close();
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
