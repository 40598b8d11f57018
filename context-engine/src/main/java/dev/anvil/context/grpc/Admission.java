package dev.anvil.context.grpc;

import dev.anvil.context.api.Limits;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;

/**
 * Whether a call may start now: each caller's rate (a token bucket per principal), and how many
 * searches and ingest batches the server runs at once. An overload is answered at once with
 * RESOURCE_EXHAUSTED naming the limit, never queued until memory runs out.
 */
final class Admission {
  /** Callers whose buckets are kept before idle (full) ones are dropped. */
  private static final int MAX_BUCKETS = 100_000;

  private final Limits limits;
  private final Semaphore searches;
  private final Semaphore ingests;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final LongSupplier nanos;

  Admission(Limits limits, LongSupplier nanos) {
    this.limits = limits;
    this.searches = new Semaphore(limits.concurrentSearches());
    this.ingests = new Semaphore(limits.concurrentIngests());
    this.nanos = nanos;
  }

  /** A held slot; closing it gives it back. */
  interface Slot extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Takes one request from {@code subject}'s bucket.
   *
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED past the caller's rate
   */
  void rate(String subject) {
    if (buckets.size() > MAX_BUCKETS) {
      buckets.values().removeIf(b -> b.full(nanos.getAsLong()));
    }
    Bucket b = buckets.computeIfAbsent(subject, s -> new Bucket(limits.burst(), nanos.getAsLong()));
    if (!b.take(nanos.getAsLong())) {
      throw exhausted(
          "more than "
              + limits.requestsPerSecond()
              + " requests per second (burst "
              + limits.burst()
              + ") from "
              + subject
              + " (limit max-requests-per-second); retry later");
    }
  }

  /** A search slot, or RESOURCE_EXHAUSTED when the server runs its most already. */
  Slot search() {
    return take(searches, limits.concurrentSearches(), "searches", "max-concurrent-searches");
  }

  /** An ingest-batch slot, or RESOURCE_EXHAUSTED when the server writes its most already. */
  Slot ingest() {
    return take(ingests, limits.concurrentIngests(), "ingest batches", "max-concurrent-ingests");
  }

  private static Slot take(Semaphore s, int limit, String what, String option) {
    if (!s.tryAcquire()) {
      throw exhausted(
          "more than " + limit + " " + what + " at once (limit " + option + "); retry shortly");
    }
    return s::release;
  }

  private static StatusRuntimeException exhausted(String message) {
    return Status.RESOURCE_EXHAUSTED.withDescription(message).asRuntimeException();
  }

  /** Tokens refilled at the caller's rate, up to the burst. */
  private final class Bucket {
    private double tokens;
    private long at;

    Bucket(double tokens, long at) {
      this.tokens = tokens;
      this.at = at;
    }

    synchronized boolean take(long now) {
      refill(now);
      if (tokens < 1) {
        return false;
      }
      tokens -= 1;
      return true;
    }

    synchronized boolean full(long now) {
      refill(now);
      return tokens >= limits.burst();
    }

    private void refill(long now) {
      tokens = Math.min(limits.burst(), tokens + (now - at) / 1e9 * limits.requestsPerSecond());
      at = now;
    }
  }
}
