package dev.anvil.trainer.service;

import dev.anvil.trainer.job.Job;
import dev.anvil.trainer.job.JobStore;
import dev.anvil.trainer.service.TrainerException.Kind;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How many jobs may be queued or running (not yet over): per owner, and in all. A submission takes
 * a place before its files are stored and gives it back once its job is in the store (or it was
 * refused), so submissions in flight count too and none slips past the quota. A job counts until it
 * succeeds, fails or is cancelled.
 *
 * <p>The count is read from the job store at each submission, so jobs queued by another process
 * (e.g. {@code anvil train submit} on the trainer's machine) count too; only this quota's own
 * submissions are kept from racing each other.
 *
 * <p>Thread-safe; share one instance among every submission it governs.
 */
public final class JobQuota {
  /** No quota: counts nothing (a local trainer's). */
  public static final JobQuota UNLIMITED = new JobQuota(Integer.MAX_VALUE, Integer.MAX_VALUE);

  private final int perOwner;
  private final int total;
  // Guarded by this: places taken by submissions in flight, by owner.
  private final Map<String, Integer> pending = new HashMap<>();
  private int pendingTotal;

  /**
   * @param perOwner jobs one owner may have queued or running
   * @param total jobs queued or running, all owners together
   * @throws IllegalArgumentException if either is below 1
   */
  public JobQuota(int perOwner, int total) {
    if (perOwner < 1 || total < 1) {
      throw new IllegalArgumentException(
          "a job quota must be at least 1, was " + perOwner + " per owner, " + total + " in all");
    }
    this.perOwner = perOwner;
    this.total = total;
  }

  /** A place in the quota; closing it gives it back. */
  public interface Place extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Takes a place for one more job of {@code owner}.
   *
   * @throws TrainerException {@link Kind#EXHAUSTED} naming the limit and its value, if the owner or
   *     the trainer has as many jobs queued or running as it may
   */
  Place take(JobStore store, String owner) {
    if (perOwner == Integer.MAX_VALUE && total == Integer.MAX_VALUE) {
      return () -> {};
    }
    synchronized (this) {
      List<Job> unfinished = store.list().stream().filter(j -> !j.state().terminal()).toList();
      long mine =
          unfinished.stream().filter(j -> j.owner().subject().equals(owner)).count()
              + pending.getOrDefault(owner, 0);
      if (mine >= perOwner) {
        throw new TrainerException(
            Kind.EXHAUSTED,
            owner
                + " has "
                + mine
                + " jobs queued or running, the most one owner may have (limit"
                + " max-jobs-per-owner: "
                + perOwner
                + "); submit again once one is over, or cancel one");
      }
      if (unfinished.size() + pendingTotal >= total) {
        throw new TrainerException(
            Kind.EXHAUSTED,
            "the trainer has "
                + (unfinished.size() + pendingTotal)
                + " jobs queued or running, the most it takes (limit max-queued-jobs: "
                + total
                + "); retry later");
      }
      pending.merge(owner, 1, Integer::sum);
      pendingTotal++;
    }
    return () -> release(owner);
  }

  private synchronized void release(String owner) {
    pending.computeIfPresent(owner, (k, n) -> n > 1 ? n - 1 : null);
    pendingTotal--;
  }
}
