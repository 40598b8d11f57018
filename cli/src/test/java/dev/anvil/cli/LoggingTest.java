package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LoggingTest {
  @Test
  void serversLogInfoForOperatorsAndOtherCommandsOnlyWarnings() {
    assertThat(Logging.level(new String[] {"serve", "--dev"}, Map.of())).isEqualTo("info");
    assertThat(Logging.level(new String[] {"train", "serve"}, Map.of())).isEqualTo("info");
    assertThat(Logging.level(new String[] {"train", "worker"}, Map.of())).isEqualTo("info");
    assertThat(Logging.level(new String[] {"kafka-broker"}, Map.of())).isEqualTo("info");
    assertThat(Logging.level(new String[] {"demo"}, Map.of())).isEqualTo("warn");
    assertThat(Logging.level(new String[] {"train", "submit"}, Map.of())).isEqualTo("warn");
    assertThat(Logging.level(new String[] {}, Map.of())).isEqualTo("warn");
  }

  @Test
  void anvilLogLevelSetsAnyCommandsLevelAndAnUnknownOneIsRefusedByName() {
    assertThat(Logging.level(new String[] {"demo"}, Map.of("ANVIL_LOG_LEVEL", "DEBUG")))
        .isEqualTo("debug");
    assertThat(Logging.level(new String[] {"serve"}, Map.of("ANVIL_LOG_LEVEL", "error")))
        .isEqualTo("error");
    assertThatThrownBy(
            () -> Logging.level(new String[] {"demo"}, Map.of("ANVIL_LOG_LEVEL", "loud")))
        .hasMessage("ANVIL_LOG_LEVEL: expected one of trace, debug, info, warn, error; was 'loud'");
  }
}
