package dev.anvil.trainer.job;

import dev.anvil.store.Store;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The claims of jobs by workers in the store (see {@link JobStore#claim}): the worker's name and
 * the end of its lease in the job's row, set by an update that succeeds only where no live claim is
 * held, so that it is atomic on H2 and on PostgreSQL alike. Lease ends are this machine's clock, in
 * milliseconds: replicas' clocks must agree to well within a lease.
 */
final class JobClaims {
  private final Store store;
  private final Clock clock;

  JobClaims(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Claims the next job for {@code worker}, for {@code lease}: first one left validating or running
   * (its worker died: its lease ran out, or it was this worker, which holds the device now), then
   * the oldest queued one. A job is claimed by one worker at a time, whatever the number of
   * replicas: the update that claims it checks that no live claim is held.
   *
   * @return the claimed job, or empty if none is free
   */
  Optional<Job> claim(String worker, Duration lease, Function<String, Optional<Job>> find) {
    long now = clock.millis();
    return store
        .<Optional<String>>transaction(
            c -> {
              List<String> candidates = new ArrayList<>();
              try (PreparedStatement s =
                  c.prepareStatement(
                      "SELECT id FROM trainer_job WHERE state_label NOT IN "
                          + JobStore.TERMINAL
                          + " AND (claimed_by IS NULL OR lease_until < ? OR claimed_by = ?)"
                          + " ORDER BY CASE WHEN state_label = 'queued' THEN 1 ELSE 0 END,"
                          + " submitted_s, submitted_ns, id")) {
                s.setLong(1, now);
                s.setString(2, worker);
                try (ResultSet r = s.executeQuery()) {
                  while (r.next()) {
                    candidates.add(r.getString(1));
                  }
                }
              }
              for (String id : candidates) {
                try (PreparedStatement s =
                    c.prepareStatement(
                        "UPDATE trainer_job SET claimed_by = ?, lease_until = ?, claims = claims + 1"
                            + " WHERE id = ? AND state_label NOT IN "
                            + JobStore.TERMINAL
                            + " AND (claimed_by IS NULL OR lease_until < ? OR claimed_by = ?)")) {
                  s.setString(1, worker);
                  s.setLong(2, now + lease.toMillis());
                  s.setString(3, id);
                  s.setLong(4, now);
                  s.setString(5, worker);
                  if (s.executeUpdate() == 1) {
                    return Optional.of(id);
                  }
                }
              }
              return Optional.<String>empty();
            })
        .flatMap(find);
  }

  /**
   * Extends {@code worker}'s claim of a job by {@code lease} from now (the heartbeat of a running
   * job). Returns false if the worker no longer holds it: another took it over.
   */
  boolean renew(String id, String worker, Duration lease) {
    long until = clock.millis() + lease.toMillis();
    return store.transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE trainer_job SET lease_until = ? WHERE id = ? AND claimed_by = ?")) {
            s.setLong(1, until);
            s.setString(2, id);
            s.setString(3, worker);
            return s.executeUpdate() == 1;
          }
        });
  }

  /** Gives up {@code worker}'s claim of a job (it is over, or the worker stops). */
  void release(String id, String worker) {
    store.transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "UPDATE trainer_job SET claimed_by = NULL, lease_until = NULL"
                      + " WHERE id = ? AND claimed_by = ?")) {
            s.setString(1, id);
            s.setString(2, worker);
            return s.executeUpdate();
          }
        });
  }

  /** The worker holding a job's claim, if any (live or not). */
  Optional<String> claimedBy(String id) {
    return store.transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("SELECT claimed_by FROM trainer_job WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
              return r.next() ? Optional.ofNullable(r.getString(1)) : Optional.<String>empty();
            }
          }
        });
  }

  /** How many times a job was claimed: once for a job run straight through. */
  int count(String id) {
    return store.transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("SELECT claims FROM trainer_job WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
              return r.next() ? r.getInt(1) : 0;
            }
          }
        });
  }
}
