package dev.anvil.judge.internal;

import dev.anvil.judge.spi.JudgmentEvents.Event;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Events written in the same transaction as the change they describe, and sent afterwards: a
 * judgment is never stored without its event, nor published without being stored.
 */
public final class Outbox {
  private Outbox() {}

  /** An event waiting to be sent, with its place in the outbox. */
  public record Pending(long seq, Event event) {}

  /** Adds an event. */
  public static void append(Connection c, Event e) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO judge_outbox (event_id, record_key, payload) VALUES (?, ?, ?)")) {
      s.setString(1, e.id());
      s.setString(2, e.key());
      s.setString(3, e.json());
      s.executeUpdate();
    }
  }

  /** The oldest {@code max} events waiting. */
  public static List<Pending> oldest(Connection c, int max) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT seq, event_id, record_key, payload FROM judge_outbox ORDER BY seq"
                + " FETCH FIRST "
                + max
                + " ROWS ONLY")) {
      List<Pending> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(
              new Pending(r.getLong(1), new Event(r.getString(2), r.getString(3), r.getString(4))));
        }
      }
      return out;
    }
  }

  /**
   * Removes the events sent. By their numbers, not "up to the last": a transaction that took a
   * lower number may commit after the batch was read, and its event is still to be sent.
   */
  public static void remove(Connection c, List<Pending> sent) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("DELETE FROM judge_outbox WHERE seq = ?")) {
      for (Pending p : sent) {
        s.setLong(1, p.seq());
        s.addBatch();
      }
      s.executeBatch();
    }
  }
}
