package dev.anvil.context.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An append-only JSON-lines audit file. Each event is written and flushed before the call that
 * produced it answers. On open, a last line cut short by a crash is removed, so every line of the
 * file is a complete event.
 *
 * <p>Thread-safe.
 */
public final class AuditLog implements AutoCloseable {
  private final Path file;
  private final FileChannel channel;
  private final Writer out;

  private AuditLog(Path file) throws IOException {
    this.file = file;
    Files.createDirectories(file.toAbsolutePath().getParent());
    this.channel =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    dropPartialLastLine();
    channel.position(channel.size());
    this.out = Channels.newWriter(channel, StandardCharsets.UTF_8);
  }

  /** Opens (or creates) the audit file. */
  public static AuditLog open(Path file) {
    try {
      return new AuditLog(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the audit log " + file, e);
    }
  }

  /** The file. */
  public Path file() {
    return file;
  }

  /** Appends an event and flushes it to the operating system. */
  public synchronized void append(AuditEvent event) {
    try {
      out.write(event.toJson());
      out.write('\n');
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("writing the audit log " + file + " failed", e);
    }
  }

  private void dropPartialLastLine() throws IOException {
    long size = channel.size();
    if (size == 0) {
      return;
    }
    ByteBuffer last = ByteBuffer.allocate(1);
    channel.read(last, size - 1);
    if (last.get(0) == '\n') {
      return;
    }
    // Scan back to the previous newline and cut there.
    long pos = size - 1;
    ByteBuffer b = ByteBuffer.allocate(1);
    while (pos > 0) {
      b.clear();
      channel.read(b, pos - 1);
      if (b.get(0) == '\n') {
        break;
      }
      pos--;
    }
    channel.truncate(pos);
  }

  @Override
  public synchronized void close() {
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("closing the audit log failed", e);
    }
  }
}
