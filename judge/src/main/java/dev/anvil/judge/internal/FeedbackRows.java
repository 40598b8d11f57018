package dev.anvil.judge.internal;

import dev.anvil.judge.Task;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rows behind feedback given outside a task: one reserved task ({@link #TASK_ID}, an id no
 * creator can choose), a query row per distinct query text, an item per query and chunk. Feedback
 * then goes through the same labelling as any item.
 */
public final class FeedbackRows {
  /** The feedback task's id: outside the ids tasks may take ({@code a-z}, {@code 0-9}, '-'). */
  public static final String TASK_ID = "_feedback";

  private FeedbackRows() {}

  /** Creates the feedback task unless it exists (a racing creator is answered by the key). */
  public static void ensureTask(Connection c, Task t) throws SQLException {
    if (TaskRows.task(c, t.id()).isEmpty()) {
      TaskRows.insert(c, t, List.of());
    }
  }

  /** The number of {@code query} in the task, added if new. */
  public static int queryNo(Connection c, String taskId, String query) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT query_no FROM judge_query WHERE task_id = ? AND query_text = ?")) {
      s.setString(1, taskId);
      s.setString(2, query);
      try (ResultSet r = s.executeQuery()) {
        if (r.next()) {
          return r.getInt(1);
        }
      }
    }
    int next;
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT COALESCE(MAX(query_no) + 1, 0) FROM judge_query WHERE task_id = ?")) {
      s.setString(1, taskId);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        next = r.getInt(1);
      }
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO judge_query (task_id, query_no, query_text) VALUES (?, ?, ?)")) {
      s.setString(1, taskId);
      s.setInt(2, next);
      s.setString(3, query);
      s.executeUpdate();
    }
    return next;
  }

  /** The id of the item for a query and chunk, if there is one. */
  public static Optional<String> itemId(
      Connection c, String taskId, int queryNo, String documentId, int chunk) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT id FROM judge_item WHERE task_id = ? AND query_no = ? AND document_id = ?"
                + " AND chunk_no = ?")) {
      s.setString(1, taskId);
      s.setInt(2, queryNo);
      s.setString(3, documentId);
      s.setInt(4, chunk);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(r.getString(1)) : Optional.empty();
      }
    }
  }

  /** Inserts an item of feedback (no ranks, no value: nobody chose it for its worth). */
  public static void insertItem(
      Connection c,
      String id,
      Task task,
      int queryNo,
      String documentId,
      int chunk,
      long version,
      String sha256,
      Map<String, Object> tags)
      throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO judge_item (id, task_id, query_no, document_id, chunk_no,"
                + " document_version, text_sha256, tags, rank_fused, ranks, uncertainty,"
                + " disagreement, cluster_no, score)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, 0, 0, 0)")) {
      s.setString(1, id);
      s.setString(2, task.id());
      s.setInt(3, queryNo);
      s.setString(4, documentId);
      s.setInt(5, chunk);
      s.setLong(6, version);
      s.setString(7, sha256);
      s.setString(8, Json.tags(tags));
      s.setString(9, Json.ranks(Map.of()));
      s.executeUpdate();
    }
  }
}
