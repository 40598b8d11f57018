package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.rbac.input.RbacException;
import dev.anvil.trainer.service.TrainerLimits;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code anvil train serve --max-*}, or ANVIL_MAX_* in a container, set the trainer's limits. */
class TrainerLimitOptionsTest {
  private static TrainerLimits limits(Map<String, String> env, String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setDefaultValueProvider(new Configuration(env));
    CommandLine.ParseResult parsed = cli.parseArgs(args);
    TrainCommand.Serve serve =
        (TrainCommand.Serve) parsed.subcommand().subcommand().commandSpec().userObject();
    return serve.limits.limits();
  }

  @Test
  void eachLimitComesFromItsOptionOrVariableAndTheRestAreTheDefaults() {
    assertThat(limits(Map.of(), "train", "serve")).isEqualTo(TrainerLimits.DEFAULTS);

    TrainerLimits l =
        limits(
            Map.of("ANVIL_MAX_JOBS_PER_OWNER", "2", "ANVIL_MAX_REQUESTS_PER_SECOND", "5"),
            "train",
            "serve",
            "--max-queued-jobs",
            "10",
            "--max-upload-bytes",
            "1048576",
            "--max-jobs-per-owner",
            "3");
    assertThat(l.jobsPerOwner()).isEqualTo(3); // the command line wins
    assertThat(l.requestsPerSecond()).isEqualTo(5);
    assertThat(l.queuedJobs()).isEqualTo(10);
    assertThat(l.uploadBytes()).isEqualTo(1 << 20);
    assertThat(l.burst()).isEqualTo(TrainerLimits.DEFAULTS.burst());
  }

  @Test
  void aLimitThatWouldSwitchItselfOffIsRefusedNamingTheOption() {
    assertThatThrownBy(() -> limits(Map.of(), "train", "serve", "--max-queued-jobs", "0"))
        .isInstanceOf(RbacException.class)
        .hasMessage("--max-queued-jobs must be at least 1, was 0");
    assertThatThrownBy(
            () -> limits(Map.of("ANVIL_MAX_UPLOAD_BYTES", "100000000"), "train", "serve"))
        .isInstanceOf(RbacException.class)
        .hasMessageContaining("--max-upload-bytes must be at most 66060288");
  }

  @Test
  void everyLimitIsAVariableOfTheTrainersTable() {
    assertThat(Configuration.table("train", "serve"))
        .containsKeys(
            "ANVIL_MAX_SPEC_BYTES",
            "ANVIL_MAX_UPLOAD_FILES",
            "ANVIL_MAX_UPLOAD_BYTES",
            "ANVIL_MAX_CONCURRENT_SUBMITS",
            "ANVIL_MAX_JOBS_PER_OWNER",
            "ANVIL_MAX_QUEUED_JOBS",
            "ANVIL_MAX_CONCURRENT_STREAMS",
            "ANVIL_MAX_STREAMS_PER_CALLER",
            "ANVIL_MAX_CONCURRENT_PROMOTIONS",
            "ANVIL_MAX_REQUESTS_PER_SECOND",
            "ANVIL_MAX_BURST");
  }
}
