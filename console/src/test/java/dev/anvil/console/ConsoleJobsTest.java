package dev.anvil.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.console.spi.JobSource;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.identity.Identity;
import dev.anvil.rpc.ServerTransport;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jobs page asks the trainer as the signed-in user: the job source gets a token exchanged for
 * the trainer's audience, of that user, never the console's own token.
 */
class ConsoleJobsTest {
  @TempDir static Path data;
  static ConsoleFixture console;
  static final List<String> TOKENS = new CopyOnWriteArrayList<>();

  /** Stands in for the trainer behind our own SPI: records the token it was given. */
  static final JobSource TRAINER =
      new JobSource() {
        @Override
        public Optional<String> trainer() {
          return Optional.of("trainer.test:7071");
        }

        @Override
        public List<Job> jobs(Function<String, String> tokenFor) {
          TOKENS.add(tokenFor.apply(DevTokenIssuer.TRAINER_AUDIENCE));
          return List.of(
              new Job("job-1", "<i>kernel</i> embedder", "mia", "embedding", "running", "", ""));
        }
      };

  @BeforeAll
  static void start() {
    console = new ConsoleFixture(data, TRAINER, ServerTransport.LOOPBACK_PLAINTEXT);
  }

  @AfterAll
  static void stop() {
    console.close();
  }

  @Test
  void jobsAreListedWithATokenOfTheSignedInUserForTheTrainer() {
    String page =
        ConsoleFixture.get(console.baseUrl() + "/jobs", console.signIn("sam").cookie()).body();
    assertThat(page).contains("trainer.test:7071").contains("job-1").contains("running");
    assertThat(page).contains("&lt;i&gt;kernel&lt;/i&gt;").doesNotContain("<i>kernel");
    assertThat(TOKENS).hasSize(1);
    Identity forTrainer =
        console
            .issuer
            .verifier(
                DevTokenIssuer.TRAINER_AUDIENCE, () -> console.engine.policies().current().schema())
            .verify(TOKENS.getFirst());
    assertThat(forTrainer.principal().subject()).isEqualTo("sam");
    // Not a token the console itself accepts: the exchanged one is the trainer's only.
    assertThat(
            org.assertj.core.api.Assertions.catchThrowable(
                () ->
                    console
                        .issuer
                        .verifier(
                            SignIn.AUDIENCE, () -> console.engine.policies().current().schema())
                        .verify(TOKENS.getFirst())))
        .isNotNull();
  }
}
