package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ConfigurationTest {
  private static ServeCommand serve(Map<String, String> env, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setDefaultValueProvider(new Configuration(env));
    CommandLine.ParseResult parsed = cli.parseArgs(args);
    return (ServeCommand) parsed.subcommand().commandSpec().userObject();
  }

  @Test
  void everyLongOptionIsAlsoAnEnvironmentVariableAndTheCommandLineWins() {
    Map<String, String> env =
        Map.of(
            "ANVIL_PORT", "9999",
            "ANVIL_KAFKA_GROUP", "replica-0",
            "ANVIL_INDEX", "/var/lib/anvil/index",
            "ANVIL_DEV", "true",
            "ANVIL_AUDIENCE", "");
    ServeCommand s = serve(env, "serve");
    assertThat(s.listen.port(7070)).isEqualTo(9999);
    assertThat(s.group).isEqualTo("replica-0");
    assertThat(s.engineOptions.index).isEqualTo(Path.of("/var/lib/anvil/index")); // from a mixin
    assertThat(s.issuer.dev).isTrue();
    assertThat(s.issuer.audience).isNull(); // blank: the server's own audience
    assertThat(s.listen.policyReload).isEqualTo(10);
    assertThat(serve(Map.of(), "serve").listen.port(7070)).isEqualTo(7070); // the server's own

    assertThat(serve(env, "serve", "--port", "7071").listen.port(7070)).isEqualTo(7071);
  }

  @Test
  void theTableListsWhatACommandReads() {
    assertThat(Configuration.table("serve"))
        .containsKeys(
            "ANVIL_HOST",
            "ANVIL_PORT",
            "ANVIL_PACK",
            "ANVIL_ISSUER",
            "ANVIL_KAFKA",
            "ANVIL_KAFKA_GROUP",
            "ANVIL_POLICY_RELOAD")
        .doesNotContainKeys("ANVIL_HELP", "ANVIL_VERSION", "ANVIL_WATCH");
    assertThat(Configuration.table("train", "worker")).containsKeys("ANVIL_PACK", "ANVIL_WATCH");
    assertThatThrownBy(() -> Configuration.table("train", "nope"))
        .hasMessageContaining("anvil train nope");
  }
}
