package dev.anvil.context.ingest.kafka;

import dev.anvil.context.ContextEngine;
import dev.anvil.context.api.Change;
import dev.anvil.context.api.IngestOutcome;
import dev.anvil.context.api.WriteAudit;
import dev.anvil.events.TraceHeaders;
import dev.anvil.rbac.Principal;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Applies one batch of the documents topic to the engine: each record parsed (one that cannot be
 * goes to the dead letters with the field and reason), the changes applied as the topic's writer,
 * refusals sent to the dead letters, and only when every dead letter is stored, the index committed
 * with the positions the batch reaches.
 *
 * <p>The outcomes are counted in the same step as the commit ({@link #counts} waits for it), so
 * whoever sees a checkpoint and then reads the counts finds every record before it counted. Called
 * by one thread at a time.
 */
final class BatchApplier {
  /** The instrumentation scope of Kafka ingestion's spans and metrics. */
  static final String SCOPE = "dev.anvil.context.kafka";

  static final AttributeKey<String> TOPIC = AttributeKey.stringKey("messaging.destination");
  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("anvil.outcome");
  private static final AttributeKey<Long> BATCH_SIZE =
      AttributeKey.longKey("messaging.batch.message_count");

  /** Span links per batch span (one per record, up to this many). */
  static final int MAX_LINKS = 128;

  /** Outcomes since start. */
  record Counts(long indexed, long ignored, long deleted, long deadLettered) {}

  private final ContextEngine engine;
  private final String topic;
  private final Principal writer;
  private final DeadLetters deadLetters;
  private final OpenTelemetry otel;
  private final Tracer tracer;
  private final WriteAudit audit;
  private final LongCounter records;
  private Counts counts = new Counts(0, 0, 0, 0);

  BatchApplier(
      ContextEngine engine,
      String topic,
      Principal writer,
      WriteAudit audit,
      DeadLetters deadLetters,
      OpenTelemetry otel) {
    this.engine = engine;
    this.topic = topic;
    this.writer = Objects.requireNonNull(writer, "writer");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.deadLetters = deadLetters;
    this.otel = otel;
    this.tracer = otel.getTracer(SCOPE);
    this.records =
        otel.getMeter(SCOPE)
            .counterBuilder("anvil.kafka.ingest.records")
            .setDescription("Records of the documents topic processed, by outcome")
            .setUnit("{record}")
            .build();
  }

  /** The outcomes of every batch whose commit is visible in the engine's checkpoint. */
  synchronized Counts counts() {
    return counts;
  }

  private void counted(String outcome, long n) {
    if (n > 0) {
      records.add(n, Attributes.of(TOPIC, topic, OUTCOME, outcome));
    }
  }

  /**
   * Applies and commits one batch, in a span {@code anvil.kafka.batch} linked to the trace context
   * each record carries (W3C headers set by its producer), so a document's ingest is found from the
   * producer's trace; returns the next offset of each partition, now held by the index.
   *
   * @throws ExecutionException if a dead letter could not be stored (nothing is committed; the
   *     batch may be applied again: by id and version, that is harmless)
   */
  Map<TopicPartition, Long> apply(List<ConsumerRecord<byte[], byte[]>> batch)
      throws ExecutionException, InterruptedException {
    SpanBuilder builder =
        tracer
            .spanBuilder("anvil.kafka.batch")
            .setSpanKind(SpanKind.CONSUMER)
            .setAttribute(TOPIC, topic)
            .setAttribute(BATCH_SIZE, (long) batch.size());
    int links = 0;
    for (ConsumerRecord<byte[], byte[]> r : batch) {
      SpanContext sc = Span.fromContext(TraceHeaders.extract(otel, r.headers())).getSpanContext();
      if (sc.isValid() && links++ < MAX_LINKS) {
        builder.addLink(sc);
      }
    }
    Span span = builder.startSpan();
    try (Scope ignored = span.makeCurrent()) {
      return applyTraced(batch);
    } catch (RuntimeException | ExecutionException | InterruptedException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      throw e;
    } finally {
      span.end();
    }
  }

  private Map<TopicPartition, Long> applyTraced(List<ConsumerRecord<byte[], byte[]>> batch)
      throws ExecutionException, InterruptedException {
    List<Change> changes = new ArrayList<>();
    List<ConsumerRecord<byte[], byte[]>> origins = new ArrayList<>();
    List<Future<RecordMetadata>> dead = new ArrayList<>();
    Map<TopicPartition, Long> next = new HashMap<>();
    List<String> invalid = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : batch) {
      next.merge(new TopicPartition(r.topic(), r.partition()), r.offset() + 1, Math::max);
      try {
        changes.add(change(DocumentRecord.parse(r.key(), r.value())));
        origins.add(r);
      } catch (InvalidRecordException e) {
        invalid.add(where(r));
        dead.add(deadLetters.send(r, e.field(), e.reason()));
      }
    }
    if (!invalid.isEmpty()) { // no document id to trust: the records' places
      audit.record("ingest", invalid, engine.policies().current().version(), "INVALID_ARGUMENT");
    }
    List<IngestOutcome> outcomes = engine.apply(changes, audit);
    long indexed = 0;
    long ignored = 0;
    long deleted = 0;
    for (int i = 0; i < outcomes.size(); i++) {
      switch (outcomes.get(i)) {
        case IngestOutcome.Indexed x -> indexed++;
        case IngestOutcome.Ignored x -> ignored++;
        case IngestOutcome.Deleted x -> deleted++;
        case IngestOutcome.Rejected x ->
            dead.add(deadLetters.send(origins.get(i), x.field(), x.reason()));
        case IngestOutcome.Denied x ->
            dead.add(
                deadLetters.send(
                    origins.get(i),
                    "principal",
                    "denied by policy "
                        + x.policy()
                        + " for principal "
                        + changes.get(i).principal().subject()));
        case IngestOutcome.Conflict x ->
            dead.add(
                deadLetters.send(
                    origins.get(i),
                    "id",
                    "the id is taken by a document "
                        + changes.get(i).principal().subject()
                        + " may not replace"));
      }
    }
    for (Future<RecordMetadata> f : dead) {
      f.get(); // in the dead-letter topic before the positions move past the record
    }
    Map<String, String> checkpoint = new HashMap<>();
    next.forEach((tp, o) -> checkpoint.put(KafkaIngestor.checkpointKey(tp), Long.toString(o)));
    synchronized (this) {
      engine.commit(checkpoint); // the documents and the positions they reach, atomically
      counts =
          new Counts(
              counts.indexed() + indexed,
              counts.ignored() + ignored,
              counts.deleted() + deleted,
              counts.deadLettered() + dead.size());
    }
    counted("indexed", indexed);
    counted("ignored", ignored);
    counted("deleted", deleted);
    counted("dead_lettered", dead.size());
    return next;
  }

  /** A record's place, {@code topic/partition/offset}, for records without a usable id. */
  private static String where(ConsumerRecord<byte[], byte[]> r) {
    return r.topic() + "/" + r.partition() + "/" + r.offset();
  }

  /** Every record of the topic is written by the topic's identity, never one the record names. */
  private Change change(DocumentRecord record) {
    return switch (record) {
      case DocumentRecord.Upsert u -> new Change.Upsert(writer, u.document());
      case DocumentRecord.Delete d -> new Change.Delete(writer, d.id());
    };
  }

  /**
   * Sends a record that can never be indexed to the dead letters and commits the index past it, so
   * the topic goes on; returns the position the index now holds.
   */
  Map<TopicPartition, Long> poison(ConsumerRecord<byte[], byte[]> r, String reason)
      throws ExecutionException, InterruptedException {
    audit.record("ingest", List.of(where(r)), engine.policies().current().version(), "INTERNAL");
    deadLetters.send(r, "", reason).get();
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    synchronized (this) {
      engine.commit(Map.of(KafkaIngestor.checkpointKey(tp), Long.toString(r.offset() + 1)));
      counts =
          new Counts(
              counts.indexed(), counts.ignored(), counts.deleted(), counts.deadLettered() + 1);
    }
    counted("dead_lettered", 1);
    return Map.of(tp, r.offset() + 1);
  }
}
