package dev.anvil.context.audit;

import com.google.gson.JsonObject;
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
 * Ships the audit log to an audit topic, each record wrapped in an {@link EventEnvelope} whose data
 * is the record (its {@code seq} and {@code prev} included) plus {@code sha256}, the record's own
 * link: the topic holds the chain's head as it grows, outside the reach of whoever can write the
 * file ({@code anvil audit verify --head}).
 *
 * <p>The file stays the source of truth. Next to it, {@code <audit file>.sent} holds the sequence
 * number of the last record Kafka has acknowledged (all replicas); it moves forward only after the
 * acknowledgement, and follows the chain across rotated files. While Kafka is away nothing moves
 * and nothing is lost; when it returns, everything after the mark is sent. A crash between
 * acknowledgement and mark re-sends a few events with the same ids (delivery is at least once;
 * consumers drop duplicates by id).
 */
public final class AuditShipper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuditShipper.class);
  private static final int MAX_CHUNK = 1 << 20;
  private static final Duration IDLE = Duration.ofMillis(200);

  private final AuditLog log;
  private final Path mark;
  private final String topic;
  private final String source;
  private final KafkaProducer<String, String> producer;
  private final Thread thread;
  private volatile boolean stopping;
  private volatile long sent;
  private volatile boolean failing;
  // Where the next unsent record probably starts: a file, the seq of its first record, an offset.
  private Path cursorFile;
  private long cursorFirstSeq = -1;
  private long cursorOffset;

  private AuditShipper(AuditLog log, Map<String, Object> client, String topic, String source) {
    this.log = log;
    this.mark = log.file().resolveSibling(log.file().getFileName() + ".sent");
    this.topic = topic;
    this.source = source;
    long mark = readMark();
    if (mark > log.head().seq()) { // a mark of another log (or of bytes, before the chain)
      LOG.warn("audit mark {} is past the log's last record; sending the log from the start", mark);
      mark = 0;
    }
    this.sent = mark;
    this.producer =
        new KafkaProducer<>(
            KafkaTopics.reliableProducer(client), new StringSerializer(), new StringSerializer());
    this.thread = new Thread(this::run, "anvil-audit-shipper");
    thread.setDaemon(true);
  }

  /** Starts shipping {@code log} to {@code topic}; {@code source} goes into each envelope. */
  public static AuditShipper start(
      AuditLog log, Map<String, Object> client, String topic, String source) {
    KafkaTopics.ensure(client, topic, false);
    AuditShipper s = new AuditShipper(log, client, topic, source);
    s.thread.start();
    return s;
  }

  /** The sequence number of the last record Kafka has acknowledged. */
  public long sentSeq() {
    return sent;
  }

  /** Records of the log not yet acknowledged. */
  public long unsentRecords() {
    return Math.max(0, log.head().seq() - sent);
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
              log.file());
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

  /** Sends the complete records after the mark, waits for all acknowledgements, moves the mark. */
  private int shipOnce() throws Exception {
    if (log.head().seq() <= sent) {
      return 0;
    }
    locate();
    ByteBuffer buf;
    try (FileChannel ch = FileChannel.open(cursorFile, StandardOpenOption.READ)) {
      buf = ByteBuffer.allocate((int) Math.max(0, Math.min(MAX_CHUNK, ch.size() - cursorOffset)));
      ch.read(buf, cursorOffset);
    }
    byte[] bytes = buf.array();
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] != '\n') {
      end--; // only whole lines: the last one may still be being written
    }
    if (end == 0) {
      cursorFile = null; // at the end of a rotated file: the next one holds what follows
      return 0;
    }
    List<Future<RecordMetadata>> acks = new ArrayList<>();
    long last = sent;
    for (String line : new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n")) {
      JsonObject data;
      try {
        data = JsonParser.parseString(line).getAsJsonObject();
      } catch (RuntimeException e) {
        continue; // a line cut short by a crash: the record after it says so
      }
      if (!data.has("seq") || data.get("seq").getAsLong() <= last) {
        continue;
      }
      last = data.get("seq").getAsLong();
      data.addProperty("sha256", AuditChain.sha256(line));
      // The id comes from the line: re-sending the same line gives the same id.
      EventEnvelope e =
          EventEnvelope.of(
              UUID.nameUUIDFromBytes(line.getBytes(StandardCharsets.UTF_8)).toString(),
              "anvil.audit.",
              "action",
              data,
              source);
      acks.add(producer.send(new ProducerRecord<>(topic, e.id(), e.toJson())));
    }
    producer.flush();
    for (Future<RecordMetadata> f : acks) {
      f.get();
    }
    cursorOffset += end;
    if (last > sent) {
      writeMark(last);
    }
    return acks.size();
  }

  /**
   * Points the cursor at the file holding the record after the mark: the last file whose first
   * record is at most that one (read from the newest file back, so usually only the active one).
   */
  private void locate() throws IOException {
    List<Path> files = AuditChain.files(log.file());
    for (int i = files.size() - 1; i >= 0; i--) {
      long first = AuditChain.firstSeq(files.get(i)).orElse(Long.MAX_VALUE);
      if (first <= sent + 1 || i == 0) {
        if (!files.get(i).equals(cursorFile) || first != cursorFirstSeq) {
          cursorFile = files.get(i);
          cursorFirstSeq = first;
          cursorOffset = 0; // records up to the mark are skipped by their seq
        }
        return;
      }
    }
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
    while (unsentRecords() > 0 && System.nanoTime() < deadline) {
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
