package dev.anvil.rpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Each caller's rate, as every Anvil service holds its callers to it: a token bucket per subject
 * (the verified principal), refilled at {@code requestsPerSecond} up to {@code burst}. A caller
 * past it is refused at once with RESOURCE_EXHAUSTED naming the limit ({@value #OPTION}) and its
 * value; other callers are not held back.
 *
 * <p>At most {@value #MAX_BUCKETS} callers are tracked before the buckets of idle callers (full
 * again, so forgetting them changes nothing) are dropped.
 *
 * <p>Thread-safe.
 */
public final class CallerRates {
  /** The option that sets the rate, named in every refusal. */
  public static final String OPTION = "max-requests-per-second";

  /** Callers whose buckets are kept before idle (full) ones are dropped. */
  static final int MAX_BUCKETS = 100_000;

  private final double requestsPerSecond;
  private final int burst;
  private final LongSupplier nanos;
  private final int maxBuckets;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  /**
   * Rates on the system's monotonic clock.
   *
   * @throws IllegalArgumentException if {@code requestsPerSecond} is not more than 0 or {@code
   *     burst} is less than 1
   */
  public CallerRates(double requestsPerSecond, int burst) {
    this(requestsPerSecond, burst, System::nanoTime);
  }

  /**
   * Rates on the clock {@code nanos} (monotonic nanoseconds, as {@link System#nanoTime}), for
   * tests.
   *
   * @throws IllegalArgumentException if {@code requestsPerSecond} is not more than 0 or {@code
   *     burst} is less than 1
   */
  public CallerRates(double requestsPerSecond, int burst, LongSupplier nanos) {
    this(requestsPerSecond, burst, nanos, MAX_BUCKETS);
  }

  CallerRates(double requestsPerSecond, int burst, LongSupplier nanos, int maxBuckets) {
    if (!(requestsPerSecond > 0)) {
      throw new IllegalArgumentException(
          "requests per second must be more than 0, was " + requestsPerSecond);
    }
    if (burst < 1) {
      throw new IllegalArgumentException("the burst must be at least 1, was " + burst);
    }
    this.requestsPerSecond = requestsPerSecond;
    this.burst = burst;
    this.nanos = Objects.requireNonNull(nanos, "nanos");
    this.maxBuckets = maxBuckets;
  }

  /**
   * Takes one request from {@code subject}'s bucket.
   *
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED past the caller's rate, naming the caller,
   *     the rate, the burst and {@value #OPTION}
   */
  public void take(String subject) {
    if (buckets.size() > maxBuckets) {
      long now = nanos.getAsLong();
      buckets.values().removeIf(b -> b.full(now));
    }
    Bucket b = buckets.computeIfAbsent(subject, s -> new Bucket(burst, nanos.getAsLong()));
    if (!b.take(nanos.getAsLong())) {
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(
              "more than "
                  + requestsPerSecond
                  + " requests per second (burst "
                  + burst
                  + ") from "
                  + subject
                  + " (limit "
                  + OPTION
                  + "); retry later")
          .asRuntimeException();
    }
  }

  /** How many callers have a bucket now. */
  int callers() {
    return buckets.size();
  }

  /** Tokens refilled at the rate, up to the burst. */
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
      return tokens >= burst;
    }

    private void refill(long now) {
      // A clock read before another thread's later one must not take tokens away.
      if (now > at) {
        tokens = Math.min(burst, tokens + (now - at) / 1e9 * requestsPerSecond);
        at = now;
      }
    }
  }
}
