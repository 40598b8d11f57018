package dev.anvil.events;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Anvil's topics and producers: topics created where they are missing (with the broker's default
 * partitions), and the producer settings for records that must not be lost.
 */
public final class KafkaTopics {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaTopics.class);

  private KafkaTopics() {}

  /**
   * Creates {@code topic} unless it exists. A compacted topic keeps the latest record of every key
   * (document id) for ever, which is what lets a new replica rebuild its index from the topic.
   * Failing to create (no permission, broker away) is logged, not fatal: operators often create
   * topics themselves.
   */
  public static void ensure(Map<String, Object> client, String topic, boolean compacted) {
    try (Admin admin = Admin.create(client)) {
      NewTopic t = new NewTopic(topic, Optional.empty(), Optional.empty());
      if (compacted) {
        t.configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      }
      admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
      LOG.info("created topic {}{}", topic, compacted ? " (compacted)" : "");
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        LOG.warn("could not create topic {}: {}", topic, e.getCause().toString());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.TimeoutException e) {
      LOG.warn("could not create topic {}: the broker did not answer in 30 s", topic);
    }
  }

  /**
   * Producer settings for records that must not be lost: all replicas, idempotent, bounded waits (a
   * send fails within seconds when the broker is away, so callers retry rather than hang).
   */
  public static Map<String, Object> reliableProducer(Map<String, Object> client) {
    Map<String, Object> c = new HashMap<>(client);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    c.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    c.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    c.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000);
    return c;
  }
}
