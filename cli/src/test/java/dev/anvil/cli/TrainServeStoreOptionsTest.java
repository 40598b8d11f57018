package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.input.RbacException;
import dev.anvil.store.Dialect;
import dev.anvil.store.StoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code anvil train serve} takes the same store options as {@code anvil serve} (or ANVIL_STORE_*
 * in a container): PostgreSQL with the password from a file; by default the embedded file.
 */
class TrainServeStoreOptionsTest {
  @TempDir Path dir;

  private static StoreOptions store(Map<String, String> env, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setDefaultValueProvider(new Configuration(env));
    CommandLine.ParseResult parsed = cli.parseArgs(args);
    return ((TrainCommand.Serve) parsed.subcommand().subcommand().commandSpec().userObject())
        .storeOptions;
  }

  @Test
  void postgresFromTheOptionsOrTheVariablesWithThePasswordFromItsFile() throws Exception {
    Path password = Files.writeString(dir.resolve("password"), "s3cr3t\n");
    StoreOptions options =
        store(
            Map.of("ANVIL_STORE_USER", "anvil"),
            "train",
            "serve",
            "--store-url",
            "jdbc:postgresql://db:5432/anvil",
            "--store-password-file",
            password.toString());
    assertThat(options.given()).isTrue();
    StoreConfig config = options.config();
    assertThat(config.dialect()).isEqualTo(Dialect.POSTGRESQL);
    assertThat(config.user()).isEqualTo("anvil");
    assertThat(config.password()).isEqualTo("s3cr3t");
    assertThat(config.toString()).doesNotContain("s3cr3t");

    StoreOptions fromEnv =
        store(
            Map.of(
                "ANVIL_STORE_URL",
                "jdbc:postgresql://db:5432/anvil",
                "ANVIL_STORE_PASSWORD_FILE",
                password.toString()),
            "train",
            "serve");
    assertThat(fromEnv.config().url()).isEqualTo("jdbc:postgresql://db:5432/anvil");
    assertThat(fromEnv.config().password()).isEqualTo("s3cr3t");
  }

  @Test
  void withoutAUrlTheJobsStayInTheEmbeddedFileAndAMissingPasswordFileIsNamed() {
    assertThat(store(Map.of(), "train", "serve").given()).isFalse();
    assertThat(Configuration.table("train", "serve"))
        .containsKeys("ANVIL_STORE_URL", "ANVIL_STORE_USER", "ANVIL_STORE_PASSWORD_FILE");
    StoreOptions missing =
        store(
            Map.of(),
            "train",
            "serve",
            "--store-url",
            "jdbc:postgresql://db/anvil",
            "--store-password-file",
            dir.resolve("nope").toString());
    assertThatThrownBy(missing::config)
        .isInstanceOf(RbacException.class)
        .hasMessageContaining("--store-password-file")
        .hasMessageContaining("nope");
  }
}
