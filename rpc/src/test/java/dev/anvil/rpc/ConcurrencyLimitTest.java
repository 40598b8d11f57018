package dev.anvil.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class ConcurrencyLimitTest {
  @Test
  void pastTheLimitACallIsRefusedAtOnceNamingItAndAPlaceGivenBackIsTakenAgain() {
    ConcurrencyLimit limit = new ConcurrencyLimit(2, "searches", "max-concurrent-searches");
    ConcurrencyLimit.Slot one = limit.enter();
    try (ConcurrencyLimit.Slot two = limit.enter()) {
      assertThatThrownBy(limit::enter)
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED))
          .hasMessageContaining("more than 2 searches at once (limit max-concurrent-searches)");
    }
    limit.enter().close(); // the place two held
    one.close();
    limit.enter();
    limit.enter();
  }
}
