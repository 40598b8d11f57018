package dev.anvil.context.grpc;

import dev.anvil.context.api.Limits;
import dev.anvil.rpc.CallerRates;
import dev.anvil.rpc.ConcurrencyLimit;
import io.grpc.StatusRuntimeException;
import java.util.function.LongSupplier;

/**
 * Whether a call may start now: each caller's rate (a token bucket per principal, {@link
 * CallerRates}), and how many searches and ingest batches the server runs at once. An overload is
 * answered at once with RESOURCE_EXHAUSTED naming the limit, never queued until memory runs out.
 */
final class Admission {
  private final ConcurrencyLimit searches;
  private final ConcurrencyLimit ingests;
  private final CallerRates rates;

  Admission(Limits limits, LongSupplier nanos) {
    this.searches =
        new ConcurrencyLimit(limits.concurrentSearches(), "searches", "max-concurrent-searches");
    this.ingests =
        new ConcurrencyLimit(
            limits.concurrentIngests(), "ingest batches", "max-concurrent-ingests");
    this.rates = new CallerRates(limits.requestsPerSecond(), limits.burst(), nanos);
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
  ConcurrencyLimit.Slot search() {
    return searches.enter();
  }

  /** An ingest-batch slot, or RESOURCE_EXHAUSTED when the server writes its most already. */
  ConcurrencyLimit.Slot ingest() {
    return ingests.enter();
  }
}
