package dev.anvil.trainer.service;

import dev.anvil.trainer.job.JobEvent;
import java.util.List;
import java.util.function.Consumer;

/**
 * What {@code anvil train} and {@code anvil model} do with the trainer, acting as one caller: the
 * same interface whether the jobs are in the local store ({@link LocalTrainer}) or behind a trainer
 * service ({@code TrainerClient}), which serves each call with a {@link LocalTrainer} for the
 * caller of its token. Refusals are {@link TrainerException}s.
 */
public interface Trainer extends AutoCloseable {
  /** Queues a job owned by the caller. */
  JobView submit(Submission submission);

  /** A job by id or unambiguous prefix. */
  JobView job(String id);

  /** The jobs the caller may see, oldest first. */
  List<JobView> jobs();

  /** Cancels a job: a queued one at once, a running one at its next step. */
  JobView cancel(String id);

  /** A job's history from event {@code from} on. */
  List<JobEvent> events(String id, long from);

  /** Passes a job's events from {@code from} on to {@code sink} until the job is over. */
  JobView follow(String id, long from, Consumer<JobEvent> sink) throws InterruptedException;

  /** The models the caller may read, oldest first. */
  List<ModelInfo> models();

  /** One model. */
  ModelInfo model(String id);

  /**
   * Runs the promotion gate for a model against the one in service ({@code servingModelId}, its
   * registry id; empty for the packaged all-MiniLM-L6-v2); the decision is audited either way and a
   * passing one is recorded beside the model.
   */
  Promotion promote(String modelId, String servingModelId);

  @Override
  default void close() {}
}
