package dev.anvil.context.grpc;

import dev.anvil.context.api.Limits;
import dev.anvil.rpc.CallerRates;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;

/**
 * Whether a call may start now: each caller's rate (a token bucket per principal, {@link
 * CallerRates}), and how many searches and ingest batches the server runs at once. An overload is
 * answered at once with RESOURCE_EXHAUSTED naming the limit, never queued until memory runs out.
 */
final class Admission {
  private final Limits limits;
  private final Semaphore searches;
  private final Semaphore ingests;
  private final CallerRates rates;

  Admission(Limits limits, LongSupplier nanos) {
    this.limits = limits;
    this.searches = new Semaphore(limits.concurrentSearches());
    this.ingests = new Semaphore(limits.concurrentIngests());
    this.rates = new CallerRates(limits.requestsPerSecond(), limits.burst(), nanos);
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
    rates.take(subject);
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
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(
              "more than " + limit + " " + what + " at once (limit " + option + "); retry shortly")
          .asRuntimeException();
    }
    return s::release;
  }
}
