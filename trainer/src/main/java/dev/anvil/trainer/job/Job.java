package dev.anvil.trainer.job;

import dev.anvil.rbac.Principal;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A submitted job.
 *
 * @param id unique id, e.g. {@code support-embeddings-20261125-171500-3f2a}
 * @param name the spec's name
 * @param owner who submitted it: the job reads only what this principal may train on
 * @param submitted when
 * @param dir the job's directory in the store (spec, state, events, checkpoints)
 * @param state where it is now
 */
public record Job(
    String id, String name, Principal owner, Instant submitted, Path dir, JobState state) {}
