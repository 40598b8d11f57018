package dev.anvil.cli;

import dev.anvil.rbac.input.RbacException;
import dev.anvil.trainer.service.TrainerLimits;
import picocli.CommandLine.Option;

/**
 * The limits of {@code anvil train serve} ({@code ANVIL_MAX_*} in a container, the chart's {@code
 * trainer.limits}); each defaults to {@link TrainerLimits#DEFAULTS}. The rate options have the
 * names of {@code anvil serve}'s ({@link LimitOptions}) but the trainer's own defaults.
 */
final class TrainerLimitOptions {
  private static final TrainerLimits D = TrainerLimits.DEFAULTS;

  @Option(names = "--max-spec-bytes", description = "Longest job spec, in bytes (default: 65536).")
  Integer specBytes;

  @Option(
      names = "--max-upload-files",
      description = "Most data files one submission carries (default: 8).")
  Integer uploadFiles;

  @Option(
      names = "--max-upload-bytes",
      description =
          "Most bytes of data files one submission carries, all together (default and most:"
              + " 66060288, 63 MiB).")
  Long uploadBytes;

  @Option(
      names = "--max-concurrent-submits",
      description =
          "Submissions checked and stored at once; more are refused at once (default: 4).")
  Integer concurrentSubmits;

  @Option(
      names = "--max-jobs-per-owner",
      description = "Jobs one owner may have queued or running (default: 4).")
  Integer jobsPerOwner;

  @Option(
      names = "--max-queued-jobs",
      description = "Jobs queued or running, all owners together (default: 64).")
  Integer queuedJobs;

  @Option(
      names = "--max-concurrent-streams",
      description = "Job event streams open at once (default: 256).")
  Integer concurrentStreams;

  @Option(
      names = "--max-streams-per-caller",
      description = "Job event streams one caller may have open at once (default: 16).")
  Integer streamsPerCaller;

  @Option(
      names = "--max-concurrent-promotions",
      description = "Promotion-gate runs at once; more are refused at once (default: 1).")
  Integer concurrentPromotions;

  @Option(
      names = "--max-requests-per-second",
      description = "Each caller's sustained rate (default: 50).")
  Double requestsPerSecond;

  @Option(names = "--max-burst", description = "Each caller's burst above it (default: 100).")
  Integer burst;

  /** The limits given, the defaults for the rest; a limit below 1 is refused naming it. */
  TrainerLimits limits() {
    try {
      return new TrainerLimits(
          specBytes != null ? specBytes : D.specBytes(),
          uploadFiles != null ? uploadFiles : D.uploadFiles(),
          uploadBytes != null ? uploadBytes : D.uploadBytes(),
          concurrentSubmits != null ? concurrentSubmits : D.concurrentSubmits(),
          jobsPerOwner != null ? jobsPerOwner : D.jobsPerOwner(),
          queuedJobs != null ? queuedJobs : D.queuedJobs(),
          concurrentStreams != null ? concurrentStreams : D.concurrentStreams(),
          streamsPerCaller != null ? streamsPerCaller : D.streamsPerCaller(),
          concurrentPromotions != null ? concurrentPromotions : D.concurrentPromotions(),
          requestsPerSecond != null ? requestsPerSecond : D.requestsPerSecond(),
          burst != null ? burst : D.burst());
    } catch (IllegalArgumentException e) {
      // Each message starts with the limit's name, e.g. "max-jobs-per-owner must be ...".
      throw new RbacException("--" + e.getMessage());
    }
  }
}
