package dev.anvil.trainer.service;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.trainer.job.JobStore;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
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

  private final KafkaProducer<String, String> producer;
  private final String topic;
  private final String source;

  /**
   * @param client Kafka client settings ({@code bootstrap.servers}, security)
   * @param source the producing instance, for the envelope
   */
  public JobEventTopic(Map<String, Object> client, String topic, String source) {
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

  @Override
  public void close() {
    producer.close();
  }
}
