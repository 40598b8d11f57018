package dev.anvil.trainer.service;

import dev.anvil.trainer.job.Job;
import dev.anvil.trainer.job.JobState;
import java.time.Instant;

/** A job as a caller sees it, locally or over the network. */
public record JobView(String id, String name, String owner, Instant submitted, JobState state) {
  static JobView of(Job job) {
    return new JobView(job.id(), job.name(), job.owner().subject(), job.submitted(), job.state());
  }
}
