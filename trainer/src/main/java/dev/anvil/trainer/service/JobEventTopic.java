package dev.anvil.trainer.service;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.events.EventEnvelope;
import dev.anvil.events.KafkaTopics;
import dev.anvil.trainer.job.JobStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
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
    KafkaTopics.ensure(client, topic, false);
    this.producer =
        new KafkaProducer<>(
            KafkaTopics.reliableProducer(client), new StringSerializer(), new StringSerializer());
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
    EventEnvelope envelope =
        EventEnvelope.of(jobId + "/" + sequence, "anvil.job.", "type", data, source);
    producer.send(
        new ProducerRecord<>(topic, jobId, envelope.toJson()),
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
}
