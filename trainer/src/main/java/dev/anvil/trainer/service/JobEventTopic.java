package dev.anvil.trainer.service;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.trainer.job.JobStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces every job event to a Kafka topic in Anvil's event envelope (docs/events.md): {@code
 * type} {@code anvil.job.state}, {@code anvil.job.step}, {@code anvil.job.eval}, {@code
 * anvil.job.checkpoint} or {@code anvil.job.log}; {@code id} {@code <job>/<sequence>} (stable, so a
 * consumer drops duplicates); keyed by job, so one job's events stay in order; {@code data} the
 * event as the job's history stores it, plus {@code job_id} and {@code sequence}.
 *
 * <p>The history on disk is the record: a broker that is away loses no event there, and sends that
 * fail are logged, not retried.
 */
public final class JobEventTopic implements JobStore.EventListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JobEventTopic.class);

  /** Events waiting to be sent, at most. */
  static final int QUEUE = 10_000;

  private final KafkaProducer<String, String> producer;
  private final String topic;
  private final String source;
  private final ThreadPoolExecutor sender =
      new ThreadPoolExecutor(
          1,
          1,
          0,
          TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(QUEUE),
          r -> {
            Thread t = new Thread(r, "anvil-job-events");
            t.setDaemon(true);
            return t;
          },
          (r, pool) -> LOG.warn("job events queue full; an event was not sent to Kafka"));

  /**
   * Creates the topic if it is missing (operators may create it themselves).
   *
   * @param client Kafka client settings ({@code bootstrap.servers}, security)
   * @param source the producing instance, for the envelope
   */
  public JobEventTopic(Map<String, Object> client, String topic, String source) {
    ensure(client, topic);
    Map<String, Object> c = new HashMap<>(client);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    c.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    this.producer = new KafkaProducer<>(c, new StringSerializer(), new StringSerializer());
    this.topic = topic;
    this.source = source;
  }

  @Override
  public void appended(String jobId, long sequence, String json) {
    sender.execute(() -> send(jobId, sequence, json));
  }

  private void send(String jobId, long sequence, String json) {
    JsonObject data = JsonParser.parseString(json).getAsJsonObject();
    data.addProperty("job_id", jobId);
    data.addProperty("sequence", sequence);
    JsonObject envelope = new JsonObject();
    envelope.addProperty("schema_version", 1);
    envelope.addProperty("id", jobId + "/" + sequence);
    envelope.addProperty("type", "anvil.job." + data.get("type").getAsString());
    envelope.addProperty("time", data.get("time").getAsString());
    envelope.addProperty("source", source);
    envelope.add("data", data);
    producer.send(
        new ProducerRecord<>(topic, jobId, envelope.toString()),
        (meta, e) -> {
          if (e != null) {
            LOG.warn("job event {}/{} not sent to {}: {}", jobId, sequence, topic, e.toString());
          }
        });
  }

  /** Sends what is queued (for up to 10 s), then closes the producer. */
  @Override
  public void close() {
    sender.shutdown();
    try {
      sender.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(10));
  }

  private static void ensure(Map<String, Object> client, String topic) {
    try (Admin admin = Admin.create(client)) {
      admin
          .createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty())))
          .all()
          .get(30, TimeUnit.SECONDS);
      LOG.info("created topic {}", topic);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        LOG.warn("could not create topic {}: {}", topic, e.getCause().toString());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException e) {
      LOG.warn("could not create topic {}: the broker did not answer in 30 s", topic);
    }
  }
}
