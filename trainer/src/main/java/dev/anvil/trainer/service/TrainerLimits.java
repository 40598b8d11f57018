package dev.anvil.trainer.service;

/**
 * What one request, and one caller, may ask of the trainer's service: configured once ({@code anvil
 * train serve --max-*}, {@code ANVIL_MAX_*}, the chart's {@code trainer.limits}). A request past a
 * size limit is INVALID_ARGUMENT naming the field; a caller past its rate, its jobs or its streams,
 * and the server past a concurrency limit or its queue, RESOURCE_EXHAUSTED at once, never queued.
 * Each refusal names the limit ({@code max-*}) and its value.
 *
 * @param specBytes longest job spec, in bytes (UTF-8)
 * @param uploadFiles most data files one submission carries
 * @param uploadBytes most bytes of data files one submission carries, all together; at most {@link
 *     Submission#MAX_UPLOAD_BYTES}, which one gRPC message carries
 * @param concurrentSubmits submissions checked and stored at once, server-wide
 * @param jobsPerOwner jobs one owner may have queued or running (see {@link JobQuota})
 * @param queuedJobs jobs queued or running, server-wide: the trainer's queue
 * @param concurrentStreams job event streams open at once, server-wide (a followed stream holds a
 *     thread until its job is over)
 * @param streamsPerCaller job event streams one caller may have open at once
 * @param concurrentPromotions promotion-gate runs at once, server-wide (each embeds two evaluation
 *     sets with two models)
 * @param requestsPerSecond each caller's sustained rate (a token bucket per principal)
 * @param burst each caller's burst above that rate
 */
public record TrainerLimits(
    int specBytes,
    int uploadFiles,
    long uploadBytes,
    int concurrentSubmits,
    int jobsPerOwner,
    int queuedJobs,
    int concurrentStreams,
    int streamsPerCaller,
    int concurrentPromotions,
    double requestsPerSecond,
    int burst) {

  /**
   * The defaults: room for every spec and data set a trainer service takes in one message, a few
   * jobs in the queue per owner, and no caller able to hold the server's threads, disk or CPU.
   */
  public static final TrainerLimits DEFAULTS =
      new TrainerLimits(64 << 10, 8, Submission.MAX_UPLOAD_BYTES, 4, 4, 64, 256, 16, 1, 50, 100);

  /**
   * @throws IllegalArgumentException naming the limit ({@code max-*}) and the value, if a limit is
   *     below 1, the rate not above 0, or {@code uploadBytes} past what one message carries
   */
  public TrainerLimits {
    atLeastOne("max-spec-bytes", specBytes);
    atLeastOne("max-upload-files", uploadFiles);
    atLeastOne("max-upload-bytes", uploadBytes);
    atLeastOne("max-concurrent-submits", concurrentSubmits);
    atLeastOne("max-jobs-per-owner", jobsPerOwner);
    atLeastOne("max-queued-jobs", queuedJobs);
    atLeastOne("max-concurrent-streams", concurrentStreams);
    atLeastOne("max-streams-per-caller", streamsPerCaller);
    atLeastOne("max-concurrent-promotions", concurrentPromotions);
    atLeastOne("max-burst", burst);
    if (uploadBytes > Submission.MAX_UPLOAD_BYTES) {
      throw new IllegalArgumentException(
          "max-upload-bytes must be at most "
              + Submission.MAX_UPLOAD_BYTES
              + " (what one gRPC message carries besides the spec), was "
              + uploadBytes);
    }
    if (!(requestsPerSecond > 0)) {
      throw new IllegalArgumentException(
          "max-requests-per-second must be more than 0, was " + requestsPerSecond);
    }
  }

  private static void atLeastOne(String limit, long value) {
    if (value < 1) {
      throw new IllegalArgumentException(limit + " must be at least 1, was " + value);
    }
  }

  /** The quota of jobs queued or running these limits set. */
  public JobQuota jobQuota() {
    return new JobQuota(jobsPerOwner, queuedJobs);
  }
}
