package dev.anvil.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The trainer's limits refuse values that would switch a limit off, naming the limit. */
class TrainerLimitsTest {
  @Test
  void theDefaultsFitInOneMessage() {
    assertThat(TrainerLimits.DEFAULTS.uploadBytes()).isEqualTo(Submission.MAX_UPLOAD_BYTES);
    assertThat(TrainerLimits.DEFAULTS.jobsPerOwner())
        .isLessThan(TrainerLimits.DEFAULTS.queuedJobs());
  }

  @Test
  void aLimitBelowOneOrARateOfZeroIsRefusedNamingIt() {
    assertThatThrownBy(() -> new TrainerLimits(65536, 8, 1 << 20, 4, 0, 64, 256, 16, 1, 50, 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max-jobs-per-owner must be at least 1, was 0");
    assertThatThrownBy(() -> new TrainerLimits(65536, 8, 1 << 20, 4, 4, 64, 256, 16, 1, 0, 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max-requests-per-second must be more than 0, was 0.0");
    assertThatThrownBy(
            () ->
                new TrainerLimits(
                    65536, 8, Submission.MAX_UPLOAD_BYTES + 1, 4, 4, 64, 256, 16, 1, 50, 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max-upload-bytes must be at most " + Submission.MAX_UPLOAD_BYTES);
  }
}
