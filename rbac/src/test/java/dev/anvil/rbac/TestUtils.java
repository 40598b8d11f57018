package dev.anvil.rbac;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waiting in tests, always with a deadline (Kafka's {@code TestUtils.waitForCondition}): a test
 * that waits fails with what it waited for instead of hanging, and never asserts after a blind
 * sleep.
 */
public final class TestUtils {
  private TestUtils() {}

  /**
   * Polls {@code condition} (every 10 ms at first, backing off to 200 ms) until it holds.
   *
   * @throws AssertionError naming {@code what} if it does not hold within {@code max}
   */
  public static void waitForCondition(BooleanSupplier condition, Duration max, String what)
      throws InterruptedException {
    waitFor(() -> condition.getAsBoolean(), Boolean::booleanValue, max, what);
  }

  /**
   * Polls {@code value} until {@code done} accepts it, and returns that value.
   *
   * @throws AssertionError naming {@code what} and the last value if it is not done within {@code
   *     max}
   */
  public static <T> T waitFor(Supplier<T> value, Predicate<T> done, Duration max, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    long pause = 10;
    while (true) {
      T v = value.get();
      if (done.test(v)) {
        return v;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("waited " + max + " for " + what + "; last seen: " + v);
      }
      Thread.sleep(pause);
      pause = Math.min(200, pause * 2);
    }
  }
}
