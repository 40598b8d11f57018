package dev.anvil.context.audit;

import com.google.gson.JsonParser;
import dev.anvil.events.EventEnvelope;
import dev.anvil.events.KafkaTopics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships the audit log to an audit topic, each line wrapped in an {@link EventEnvelope}.
 *
 * <p>The file stays the source of truth. Next to it, {@code <audit file>.sent} holds how many bytes
 * of it Kafka has acknowledged (all replicas); it moves forward only after the acknowledgement.
 * While Kafka is away nothing moves and nothing is lost; when it returns, everything from the mark
 * on is sent. A crash between acknowledgement and mark re-sends a few events with the same ids
 * (delivery is at least once; consumers drop duplicates by id).
 */
public final class AuditShipper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuditShipper.class);
  private static final int MAX_CHUNK = 1 << 20;
  private static final Duration IDLE = Duration.ofMillis(200);

  private final Path file;
  private final Path mark;
  private final String topic;
  private final String source;
  private final KafkaProducer<String, String> producer;
  private final Thread thread;
  private volatile boolean stopping;
  private volatile long sent;
  private volatile boolean failing;

  private AuditShipper(Path file, Map<String, Object> client, String topic, String source) {
    this.file = file;
    this.mark = file.resolveSibling(file.getFileName() + ".sent");
    this.topic = topic;
    this.source = source;
    this.sent = readMark();
    this.producer =
        new KafkaProducer<>(
            KafkaTopics.reliableProducer(client), new StringSerializer(), new StringSerializer());
    this.thread = new Thread(this::run, "anvil-audit-shipper");
    thread.setDaemon(true);
  }

  /** Starts shipping {@code auditFile} to {@code topic}; {@code source} goes into each envelope. */
  public static AuditShipper start(
      Path auditFile, Map<String, Object> client, String topic, String source) {
    KafkaTopics.ensure(client, topic, false);
    AuditShipper s = new AuditShipper(auditFile, client, topic, source);
    s.thread.start();
    return s;
  }

  /** Bytes of the audit file Kafka has acknowledged. */
  public long sentBytes() {
    return sent;
  }

  /** Bytes of the audit file not yet acknowledged. */
  public long unsentBytes() {
    try {
      return Math.max(0, Files.size(file) - sent);
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Whether the last attempt to send failed (the broker is away or refuses): the events wait in the
   * file, and are sent when an attempt succeeds again.
   */
  public boolean failing() {
    return failing;
  }

  private void run() {
    Duration backoff = Duration.ofSeconds(1);
    while (!stopping) {
      try {
        if (shipOnce() == 0) {
          Thread.sleep(IDLE);
        }
        if (failing) {
          LOG.info("audit events reach topic {} again", topic);
          failing = false;
        }
        backoff = Duration.ofSeconds(1);
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        if (!failing) {
          LOG.warn(
              "audit events cannot reach topic {} ({}); they stay in {} and are sent later",
              topic,
              e.toString(),
              file);
          failing = true;
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          return;
        }
        backoff =
            backoff.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0
                ? Duration.ofSeconds(30)
                : backoff.multipliedBy(2);
      }
    }
  }

  /** Sends the complete lines after the mark, waits for all acknowledgements, moves the mark. */
  private int shipOnce() throws Exception {
    if (!Files.exists(file)) {
      return 0;
    }
    ByteBuffer buf;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < sent) {
        LOG.warn("audit file {} shrank below its sent mark; sending it again from the start", file);
        sent = 0;
      }
      buf = ByteBuffer.allocate((int) Math.min(MAX_CHUNK, size - sent));
      ch.read(buf, sent);
    }
    byte[] bytes = buf.array();
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--; // only whole lines: the last one may still be being written
    }
    if (end == 0) {
      return 0;
    }
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    int lines = 0;
    for (String line : new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      // The id comes from the line: re-sending the same line gives the same id.
      EventEnvelope e =
          EventEnvelope.of(
              UUID.nameUUIDFromBytes(line.getBytes(StandardCharsets.UTF_8)).toString(),
              "anvil.audit.",
              "action",
              JsonParser.parseString(line).getAsJsonObject(),
              source);
      acks.add(producer.send(new ProducerRecord<>(topic, e.id(), e.toJson())));
      lines++;
    }
    producer.flush();
    for (Future<RecordMetadata> f : acks) {
      f.get();
    }
    writeMark(sent + end);
    return lines;
  }

  private long readMark() {
    try {
      return Files.exists(mark) ? Long.parseLong(Files.readString(mark).strip()) : 0;
    } catch (IOException | NumberFormatException e) {
      LOG.warn("unreadable audit mark {} ({}); re-sending the audit log from the start", mark, e);
      return 0;
    }
  }

  private void writeMark(long value) {
    Path tmp = mark.resolveSibling(mark.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(Long.toString(value).getBytes(StandardCharsets.US_ASCII)));
      ch.force(true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + tmp, e);
    }
    try {
      Files.move(tmp, mark, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot replace " + mark, e);
    }
    sent = value;
  }

  /** Sends what is left (waiting up to {@code timeout}), then stops. */
  public void close(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (unsentBytes() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    stopping = true;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    producer.close(Duration.ofSeconds(2));
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
