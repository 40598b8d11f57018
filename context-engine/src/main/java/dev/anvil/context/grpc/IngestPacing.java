package dev.anvil.context.grpc;

import dev.anvil.context.api.Limits;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * How fast ingest streams are read, and how much they may hold. A stream is read one document at a
 * time (gRPC manual flow control). Each caller's documents cost their bytes at {@link
 * Limits#ingestMibPerSecond()}: past it (after a second's worth at once) the next document is
 * requested later, so HTTP/2 flow control slows the client down and the server neither buffers nor
 * parses more. Documents read and not yet written hold bytes of a server-wide budget ({@link
 * Limits#ingestBufferMib()}), past which a stream is refused with RESOURCE_EXHAUSTED. Thread-safe.
 */
final class IngestPacing {
  /** Callers whose schedules are kept before idle ones are dropped. */
  private static final int MAX_CALLERS = 100_000;

  private static final long KIB = 1024;

  private final Limits limits;
  private final double nanosPerByte;
  private final long toleranceNanos;
  private final Semaphore bufferKib;
  private final ConcurrentHashMap<String, Schedule> callers = new ConcurrentHashMap<>();
  private final LongSupplier nanos;

  /** One thread for every server of the process: it only asks streams for their next document. */
  private static final ScheduledExecutorService TIMER =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("anvil-ingest-pacing").unstarted(r));

  IngestPacing(Limits limits, LongSupplier nanos) {
    this.limits = limits;
    this.nanosPerByte = 1e9 / (limits.ingestMibPerSecond() * KIB * KIB);
    this.toleranceNanos = TimeUnit.SECONDS.toNanos(1);
    this.bufferKib =
        new Semaphore((int) Math.min(Integer.MAX_VALUE, limits.ingestBufferMib() * KIB));
    this.nanos = nanos;
  }

  /**
   * Nanoseconds to wait before reading {@code subject}'s next document, now that one of {@code
   * bytes} was read: 0 within the caller's rate and its second of tolerance.
   */
  long delayAfter(String subject, long bytes) {
    long now = nanos.getAsLong();
    if (callers.size() > MAX_CALLERS) {
      callers.values().removeIf(s -> s.idle(now));
    }
    return callers.computeIfAbsent(subject, s -> new Schedule()).take(now, bytes);
  }

  /** Runs {@code r} after {@code delayNanos}. */
  void later(long delayNanos, Runnable r) {
    TIMER.schedule(r, delayNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Holds {@code bytes} of the server-wide buffer until {@link #release}.
   *
   * @return what was held, in the buffer's units, to give back to {@link #release}
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED when the buffer is full
   */
  int hold(long bytes) {
    int kib = (int) Math.max(1, (bytes + KIB - 1) / KIB);
    if (!bufferKib.tryAcquire(kib)) {
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(
              "more than "
                  + limits.ingestBufferMib()
                  + " MiB of documents received and not yet written, all ingest streams together"
                  + " (limit max-ingest-buffer-mib); retry shortly")
          .asRuntimeException();
    }
    return kib;
  }

  /** Gives back what {@link #hold} returned (summed over several holds). */
  void release(int held) {
    if (held > 0) {
      bufferKib.release(held);
    }
  }

  /** What the buffer has free now, in its units; for tests. */
  int available() {
    return bufferKib.availablePermits();
  }

  /**
   * A caller's theoretical arrival time (the generic cell rate algorithm): each document moves it
   * on by its bytes' share of a second; the caller waits for whatever lies beyond the tolerance.
   */
  private final class Schedule {
    private long due = Long.MIN_VALUE;

    synchronized long take(long now, long bytes) {
      due = Math.max(due, now) + (long) (bytes * nanosPerByte);
      return Math.max(0, due - now - toleranceNanos);
    }

    synchronized boolean idle(long now) {
      return due < now;
    }
  }
}
