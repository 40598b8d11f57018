package dev.anvil.trainer.grpc;

import dev.anvil.rpc.CallerRates;
import dev.anvil.rpc.ConcurrencyLimit;
import dev.anvil.trainer.grpc.v1.SubmitRequest;
import dev.anvil.trainer.service.TrainerLimits;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Whether a call to the trainer may start now, by its {@link TrainerLimits}: each caller's rate, a
 * submission's sizes, and how many submissions, promotions and event streams run at once (event
 * streams also per caller). A refusal names the limit and its value: sizes INVALID_ARGUMENT naming
 * the field, the rest RESOURCE_EXHAUSTED at once, never queued. (Jobs queued or running are counted
 * by the {@link dev.anvil.trainer.service.JobQuota} of the submission.)
 *
 * <p>Thread-safe.
 */
final class Admission {
  /** Longest {@code spec_name}, and longest path of an uploaded file (names, not data). */
  static final int MAX_NAME_CHARS = 1024;

  private final TrainerLimits limits;
  private final CallerRates rates;
  private final ConcurrencyLimit submits;
  private final ConcurrencyLimit promotions;
  private final ConcurrencyLimit streams;
  private final ConcurrentHashMap<String, Integer> streamsOf = new ConcurrentHashMap<>();

  Admission(TrainerLimits limits, LongSupplier nanos) {
    this.limits = limits;
    this.rates = new CallerRates(limits.requestsPerSecond(), limits.burst(), nanos);
    this.submits =
        new ConcurrencyLimit(limits.concurrentSubmits(), "submissions", "max-concurrent-submits");
    this.promotions =
        new ConcurrencyLimit(
            limits.concurrentPromotions(), "promotions", "max-concurrent-promotions");
    this.streams =
        new ConcurrencyLimit(limits.concurrentStreams(), "event streams", "max-concurrent-streams");
  }

  /**
   * Takes one request from {@code subject}'s bucket.
   *
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED past the caller's rate
   */
  void rate(String subject) {
    rates.take(subject);
  }

  /**
   * Checks a submission's sizes, before anything of it is copied or stored.
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT naming the field, the limit and its value
   */
  void check(SubmitRequest r) {
    int specBytes = r.getSpecBytes().size();
    if (specBytes > limits.specBytes()) {
      throw tooMany("spec", "bytes", limits.specBytes(), specBytes, "max-spec-bytes");
    }
    if (r.getSpecName().length() > MAX_NAME_CHARS) {
      throw invalid(
          "spec_name",
          "at most " + MAX_NAME_CHARS + " characters, was " + r.getSpecName().length());
    }
    if (r.getFilesCount() > limits.uploadFiles()) {
      throw tooMany("files", "files", limits.uploadFiles(), r.getFilesCount(), "max-upload-files");
    }
    long bytes = 0;
    for (Map.Entry<String, com.google.protobuf.ByteString> f : r.getFilesMap().entrySet()) {
      if (f.getKey().length() > MAX_NAME_CHARS) {
        throw invalid(
            "files",
            "a path of at most " + MAX_NAME_CHARS + " characters, was " + f.getKey().length());
      }
      bytes += f.getValue().size();
    }
    if (bytes > limits.uploadBytes()) {
      throw tooMany("files", "bytes all together", limits.uploadBytes(), bytes, "max-upload-bytes");
    }
  }

  /** A submission slot, or RESOURCE_EXHAUSTED when the server stores its most already. */
  ConcurrencyLimit.Slot submit() {
    return submits.enter();
  }

  /** A promotion slot, or RESOURCE_EXHAUSTED when the gate runs its most already. */
  ConcurrencyLimit.Slot promotion() {
    return promotions.enter();
  }

  /**
   * An event-stream slot of {@code subject}, or RESOURCE_EXHAUSTED when the caller, or the server,
   * has its most streams open already.
   */
  ConcurrencyLimit.Slot stream(String subject) {
    boolean[] taken = {false};
    streamsOf.compute(
        subject,
        (k, n) -> {
          int open = n == null ? 0 : n;
          if (open >= limits.streamsPerCaller()) {
            return n;
          }
          taken[0] = true;
          return open + 1;
        });
    if (!taken[0]) {
      throw exhausted(
          "more than "
              + limits.streamsPerCaller()
              + " event streams at once from "
              + subject
              + " (limit max-streams-per-caller); close one first");
    }
    ConcurrencyLimit.Slot mine =
        () -> streamsOf.computeIfPresent(subject, (k, n) -> n > 1 ? n - 1 : null);
    ConcurrencyLimit.Slot server;
    try {
      server = streams.enter();
    } catch (StatusRuntimeException e) {
      mine.close();
      throw e;
    }
    return () -> {
      server.close();
      mine.close();
    };
  }

  private static StatusRuntimeException exhausted(String message) {
    return Status.RESOURCE_EXHAUSTED.withDescription(message).asRuntimeException();
  }

  private static StatusRuntimeException tooMany(
      String field, String what, long limit, long was, String option) {
    return invalid(field, "at most " + limit + " " + what + " (limit " + option + "), was " + was);
  }

  private static StatusRuntimeException invalid(String field, String message) {
    return Status.INVALID_ARGUMENT.withDescription(field + ": " + message).asRuntimeException();
  }
}
