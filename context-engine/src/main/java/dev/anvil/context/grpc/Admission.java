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
 *
 * <p>One instance serves every transport of a server (gRPC and the MCP endpoint), so a caller's
 * rate and the server's concurrency are one budget, whichever protocol a call arrives by.
 * Thread-safe.
 */
public final class Admission {
  private final ConcurrencyLimit searches;
  private final ConcurrencyLimit ingests;
  private final CallerRates rates;

  /** Admission under {@code limits}, on the system's monotonic clock. */
  public Admission(Limits limits) {
    this(limits, System::nanoTime);
  }

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
  public void rate(String subject) {
    rates.take(subject);
  }

  /**
   * A search slot, or RESOURCE_EXHAUSTED when the server runs its most already.
   *
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED naming max-concurrent-searches
   */
  public ConcurrencyLimit.Slot search() {
    return searches.enter();
  }

  /** An ingest-batch slot, or RESOURCE_EXHAUSTED when the server writes its most already. */
  ConcurrencyLimit.Slot ingest() {
    return ingests.enter();
  }
}
