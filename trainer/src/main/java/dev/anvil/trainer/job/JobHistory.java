package dev.anvil.trainer.job;

import dev.anvil.store.Store;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Jobs' histories in the store: one row per event, numbered from 0 per job, each the JSON line the
 * job folders of earlier versions held in {@code events.jsonl} (see {@link JobEvent}).
 */
final class JobHistory {
  private final Store store;
  private final Clock clock;

  JobHistory(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** An event as stored: {@code time} and {@code type} first, then the fields by name. */
  String line(Map<String, Object> fields) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("time", clock.instant().toString());
    e.put("type", fields.get("type"));
    new TreeMap<>(fields).forEach(e::putIfAbsent); // a stable order for readers
    return JobJson.GSON.toJson(e);
  }

  /** The event of a new state. */
  static Map<String, Object> stateEvent(JobState state) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("type", "state");
    event.put("state", state.label());
    if (state instanceof JobState.Failed f) {
      event.put("reason", f.reason());
    }
    if (state instanceof JobState.Succeeded s) {
      event.put("model", s.model());
      event.put("metrics", s.metrics());
    }
    return event;
  }

  /**
   * Appends to a job's history under the lock of its row, so that appends from two replicas (a
   * worker's step and another's cancellation) take numbers one after the other.
   */
  static long append(Connection c, String id, String event) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("SELECT id FROM trainer_job WHERE id = ? FOR UPDATE")) {
      s.setString(1, id);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          throw new IllegalArgumentException("no job " + id);
        }
      }
    }
    long next;
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT COALESCE(MAX(seq) + 1, 0) FROM trainer_job_event WHERE job_id = ?")) {
      s.setString(1, id);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        next = r.getLong(1);
      }
    }
    try (PreparedStatement s =
        c.prepareStatement("INSERT INTO trainer_job_event (job_id, seq, event) VALUES (?, ?, ?)")) {
      s.setString(1, id);
      s.setLong(2, next);
      s.setString(3, event);
      s.executeUpdate();
    }
    return next;
  }

  /** The history's events (JSON, one each) from number {@code from} (0-based) on. */
  List<String> events(String id, long from) {
    return store.transaction(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT event FROM trainer_job_event WHERE job_id = ? AND seq >= ?"
                      + " ORDER BY seq")) {
            s.setString(1, id);
            s.setLong(2, Math.max(0, from));
            List<String> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
              while (r.next()) {
                out.add(r.getString(1));
              }
            }
            return out;
          }
        });
  }
}
