package dev.anvil.rpc;

import io.grpc.Status;
import java.util.concurrent.Semaphore;

/**
 * How many calls of one kind a server runs at once, as every Anvil service bounds them: past it a
 * call is refused at once with RESOURCE_EXHAUSTED naming the limit and its option, never queued
 * until memory runs out. Thread-safe.
 */
public final class ConcurrencyLimit {
  private final Semaphore permits;
  private final int limit;
  private final String what;
  private final String option;

  /**
   * @param limit calls at once
   * @param what the calls, plural, as the refusal names them, e.g. {@code searches}
   * @param option the option that sets the limit, e.g. {@code max-concurrent-searches}
   */
  public ConcurrencyLimit(int limit, String what, String option) {
    this.permits = new Semaphore(limit);
    this.limit = limit;
    this.what = what;
    this.option = option;
  }

  /** A held place; closing it gives it back. */
  public interface Slot extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * A place, or RESOURCE_EXHAUSTED when {@code limit} calls run already.
   *
   * @throws io.grpc.StatusRuntimeException naming the limit and its option
   */
  public Slot enter() {
    if (!permits.tryAcquire()) {
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(
              "more than " + limit + " " + what + " at once (limit " + option + "); retry shortly")
          .asRuntimeException();
    }
    return permits::release;
  }
}
