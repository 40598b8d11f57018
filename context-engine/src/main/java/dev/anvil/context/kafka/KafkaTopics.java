package dev.anvil.context.kafka;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates Anvil's topics where they are missing, with the broker's default partitions. */
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
}
