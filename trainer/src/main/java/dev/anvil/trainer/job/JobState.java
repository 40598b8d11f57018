package dev.anvil.trainer.job;

import java.time.Instant;
import java.util.Map;

/** Where a job is: queued → validating → running → succeeded | failed | cancelled. */
public sealed interface JobState {
  /** When the job entered this state (or, while running, last reported). */
  Instant at();

  /** The state's name as shown and stored: queued, validating, running, ... */
  default String label() {
    return getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
  }

  /** Whether the job is over. */
  default boolean terminal() {
    return this instanceof Succeeded || this instanceof Failed || this instanceof Cancelled;
  }

  /** Waiting for the device. */
  record Queued(Instant at) implements JobState {}

  /** Reading its data and checking that its owner may train on every example. */
  record Validating(Instant at) implements JobState {}

  /** Training: {@code step} of {@code totalSteps} done. */
  record Running(Instant at, int step, int totalSteps) implements JobState {}

  /** Done: the model is registered under {@code model}, with its held-out metrics. */
  record Succeeded(Instant at, String model, Map<String, Double> metrics) implements JobState {
    public Succeeded {
      metrics = Map.copyOf(metrics);
    }
  }

  /** Stopped by an error: bad data, a refused example, bad weights, ... */
  record Failed(Instant at, String reason) implements JobState {}

  /** Stopped at its owner's request. */
  record Cancelled(Instant at) implements JobState {}
}
