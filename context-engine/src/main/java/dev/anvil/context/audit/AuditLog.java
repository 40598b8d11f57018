package dev.anvil.context.audit;

import dev.anvil.context.api.WriteAudit;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/**
 * An append-only, hash-chained JSON-lines audit log. Each record carries its sequence number and
 * the SHA-256 of the record before it ({@code "seq"} and {@code "prev"}), so {@link AuditChain}
 * finds the first record altered, removed or re-ordered. Each record is written and forced to disk
 * before {@link #append} returns: a call whose record cannot be made durable fails.
 *
 * <p>The log is never truncated. When the active file would pass {@code maxBytes} it is renamed to
 * {@code <file>.<n>} (1, 2, ...: oldest first) and a new one continues the chain. A last line cut
 * short by a crash stays as it was, ended by a newline, and the next record says so ({@code
 * "action":"audit_log_recovered"} with the torn line's length) and chains to the last complete one.
 *
 * <p>Thread-safe.
 */
public final class AuditLog implements AutoCloseable {
  /** The size past which the active file is rotated, by default. */
  public static final long DEFAULT_MAX_BYTES = 64L << 20;

  private final Path file;
  private final long maxBytes;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private FileChannel channel;
  private AuditChain.Link head;

  /** Held while forcing the file: one {@code fsync} at a time, covering every record before. */
  private final Object forcing = new Object();

  /** The last sequence number known to be on disk. */
  private final java.util.concurrent.atomic.AtomicLong durable =
      new java.util.concurrent.atomic.AtomicLong();

  private AuditLog(Path file, long maxBytes) throws IOException {
    this.file = file.toAbsolutePath();
    this.maxBytes = maxBytes;
    Files.createDirectories(this.file.getParent());
    // One writer per chain: a second process appending would fork it.
    Path lockFile = this.file.resolveSibling(this.file.getFileName() + ".lock");
    this.lockChannel =
        FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = lockChannel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      l = null;
    }
    if (l == null) {
      lockChannel.close();
      throw new IOException(
          "the audit log is in use by another writer (" + lockFile + " is locked)");
    }
    this.lock = l;
    if (Files.exists(this.file)
        && AuditChain.lastLink(this.file).isEmpty()
        && Files.readString(this.file).indexOf('\n') >= 0) {
      // Records written before the chain: kept beside it, never rewritten or truncated.
      Files.move(
          this.file,
          this.file.resolveSibling(
              this.file.getFileName() + ".pre-chain-" + System.currentTimeMillis()));
    }
    this.channel = openActive();
    List<Path> files = AuditChain.files(this.file);
    this.head = AuditChain.GENESIS;
    for (int i = files.size() - 1; i >= 0 && head == AuditChain.GENESIS; i--) {
      head = AuditChain.lastLink(files.get(i)).orElse(AuditChain.GENESIS);
    }
    long torn = tornTail();
    if (torn > 0) {
      write(new byte[] {'\n'});
      append(AuditEvent.recovered(torn));
    }
  }

  /** Opens (or creates) the audit log with the default rotation size. */
  public static AuditLog open(Path file) {
    return open(file, DEFAULT_MAX_BYTES);
  }

  /** Opens (or creates) the audit log, rotating the active file past {@code maxBytes}. */
  public static AuditLog open(Path file, long maxBytes) {
    try {
      return new AuditLog(file, maxBytes);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot open the audit log " + file + ": " + e.getMessage(), e);
    }
  }

  /** The active file. */
  public Path file() {
    return file;
  }

  /**
   * A {@link WriteAudit} that appends to this log as {@code subject} ({@code username}, acting
   * through {@code agent}), naming the model that serves at each record.
   */
  public WriteAudit recorder(
      String subject, String username, String agent, Supplier<String> modelId) {
    return recorder(subject, username, agent, modelId, "");
  }

  /** {@link #recorder(String, String, String, Supplier)}, with {@code detail} on each record. */
  public WriteAudit recorder(
      String subject, String username, String agent, Supplier<String> modelId, String detail) {
    return (action, ids, policyVersion, status) ->
        append(
            new AuditEvent(
                Instant.now(),
                subject,
                username,
                agent,
                action,
                "",
                ids,
                policyVersion,
                modelId.get(),
                status,
                detail));
  }

  /** The last record: its sequence number and SHA-256 (the chain's head). */
  public synchronized AuditChain.Link head() {
    return head;
  }

  /**
   * Appends a record, chained to the one before, and returns once it is on disk.
   *
   * <p>Group commit: records are written in order under the log's lock, and forced to disk outside
   * it, so concurrent appends share one {@code fsync} instead of queueing for one each; none
   * returns before its own record is durable.
   *
   * @throws UncheckedIOException if it cannot be made durable (the caller must not go on as if it
   *     had been recorded)
   */
  public void append(AuditEvent event) {
    makeDurable(write(event));
  }

  /** Writes a record after the head; returns its sequence number. */
  private synchronized long write(AuditEvent event) {
    long seq = head.seq() + 1;
    String line = event.toJson(seq, head.sha256());
    byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
    try {
      if (channel.size() > 0 && channel.size() + bytes.length > maxBytes) {
        rotate();
      }
      write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("writing the audit log " + file + " failed", e);
    }
    head = new AuditChain.Link(seq, AuditChain.sha256(line));
    return seq;
  }

  /** Forces the log to disk unless a force since {@code seq} was written already covered it. */
  private void makeDurable(long seq) {
    synchronized (forcing) {
      if (durable.get() >= seq) {
        return; // another append's force covered this record
      }
      FileChannel ch;
      long upTo;
      synchronized (this) {
        ch = channel;
        upTo = head.seq();
      }
      try {
        ch.force(false);
      } catch (java.nio.channels.ClosedChannelException e) {
        if (durable.get() < seq) { // not rotated (which forces) but closed
          throw new UncheckedIOException("the audit log " + file + " is closed", e);
        }
        return;
      } catch (IOException e) {
        throw new UncheckedIOException("writing the audit log " + file + " failed", e);
      }
      durable.accumulateAndGet(upTo, Math::max);
    }
  }

  private void write(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      channel.write(b, channel.size());
    }
  }

  /** Renames the active file after the last rotated one and starts a new one. */
  private void rotate() throws IOException {
    channel.force(true);
    durable.accumulateAndGet(head.seq(), Math::max);
    channel.close();
    int next = AuditChain.files(file).size(); // the rotated ones, plus the active one
    // Without REPLACE_EXISTING: a rotated file is never overwritten.
    Files.move(file, file.resolveSibling(file.getFileName() + "." + next));
    channel = openActive();
  }

  private FileChannel openActive() throws IOException {
    return FileChannel.open(
        file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  /** The length of a last line without its newline (a write cut short), or 0. */
  private long tornTail() throws IOException {
    long size = channel.size();
    if (size == 0) {
      return 0;
    }
    ByteBuffer b = ByteBuffer.allocate(1);
    channel.read(b, size - 1);
    if (b.get(0) == '\n') {
      return 0;
    }
    long pos = size - 1;
    while (pos > 0) {
      b.clear();
      channel.read(b, pos - 1);
      if (b.get(0) == '\n') {
        break;
      }
      pos--;
    }
    return size - pos;
  }

  @Override
  public synchronized void close() {
    try {
      channel.close();
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      throw new UncheckedIOException("closing the audit log failed", e);
    }
  }
}
