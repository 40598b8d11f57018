package dev.anvil.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Each caller's token bucket, on a clock the test moves. */
class CallerRatesTest {
  static final long SECOND = 1_000_000_000L;

  final AtomicLong now = new AtomicLong(42 * SECOND);

  static void assertExhausted(Runnable call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
        .hasMessageContaining(message);
  }

  @Test
  void aCallerGetsItsBurstThenItsRateAndIsRefusedNamingTheLimitAndItsValue() {
    CallerRates rates = new CallerRates(2, 3, now::get);
    for (int i = 0; i < 3; i++) {
      rates.take("mia");
    }
    assertExhausted(
        () -> rates.take("mia"),
        "more than 2.0 requests per second (burst 3) from mia (limit max-requests-per-second)");

    now.addAndGet(SECOND / 2); // one token back
    rates.take("mia");
    assertExhausted(() -> rates.take("mia"), "from mia");

    now.addAndGet(10 * SECOND); // refilled, but never past the burst
    for (int i = 0; i < 3; i++) {
      rates.take("mia");
    }
    assertExhausted(() -> rates.take("mia"), "burst 3");
  }

  @Test
  void oneCallerPastItsRateDoesNotHoldBackAnother() {
    CallerRates rates = new CallerRates(1, 1, now::get);
    rates.take("mia");
    assertExhausted(() -> rates.take("mia"), "from mia");
    rates.take("sam");
  }

  @Test
  void idleCallersAreForgottenOncePastTheMostTrackedAndBusyOnesAreNot() {
    CallerRates rates = new CallerRates(1, 2, now::get, 3);
    rates.take("busy");
    rates.take("busy"); // its bucket is empty
    for (String idle : new String[] {"a", "b", "c"}) {
      rates.take(idle);
    }
    now.addAndGet(SECOND); // the idle ones are full again; busy has one token of two
    rates.take("d"); // past 3 buckets: the full ones go
    assertThat(rates.callers()).isEqualTo(2); // busy and d
    rates.take("busy");
    assertExhausted(() -> rates.take("busy"), "from busy"); // busy's bucket was kept
  }

  @Test
  void aRateOfZeroOrANegativeBurstIsRefused() {
    assertThatThrownBy(() -> new CallerRates(0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was 0.0");
    assertThatThrownBy(() -> new CallerRates(Double.NaN, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> new CallerRates(1, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("was 0");
  }
}
