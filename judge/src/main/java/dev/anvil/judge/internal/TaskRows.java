package dev.anvil.judge.internal;

import dev.anvil.judge.Item;
import dev.anvil.judge.ItemValue;
import dev.anvil.judge.Task;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Tasks, their queries and their items in the store. */
public final class TaskRows {
  private static final String ITEM_COLUMNS =
      "i.id, i.task_id, q.query_text, i.document_id, i.chunk_no, i.document_version,"
          + " i.text_sha256, i.tags, i.rank_fused, i.ranks, i.uncertainty, i.disagreement,"
          + " i.cluster_no, i.score, t.model_id, t.policy_version"
          + " FROM judge_item i"
          + " JOIN judge_query q ON q.task_id = i.task_id AND q.query_no = i.query_no"
          + " JOIN judge_task t ON t.id = i.task_id";

  private TaskRows() {}

  /** An item to store, with the number of its query in the task. */
  public record NewItem(int queryNo, Item item) {}

  /** Inserts a task, its queries and its items (a duplicate task id fails on the primary key). */
  public static void insert(Connection c, Task t, List<NewItem> items) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO judge_task (id, name, overlap_k, adjudicator_role, creator, model_id,"
                + " policy_version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, t.id());
      s.setString(2, t.name());
      s.setInt(3, t.overlap());
      s.setString(4, t.adjudicatorRole());
      s.setString(5, t.creator());
      s.setString(6, t.modelId());
      s.setString(7, t.policyVersion());
      s.setObject(8, OffsetDateTime.ofInstant(t.createdAt(), ZoneOffset.UTC));
      s.executeUpdate();
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO judge_query (task_id, query_no, query_text) VALUES (?, ?, ?)")) {
      for (int i = 0; i < t.queries().size(); i++) {
        s.setString(1, t.id());
        s.setInt(2, i);
        s.setString(3, t.queries().get(i));
        s.addBatch();
      }
      s.executeBatch();
    }
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO judge_item (id, task_id, query_no, document_id, chunk_no,"
                + " document_version, text_sha256, tags, rank_fused, ranks, uncertainty,"
                + " disagreement, cluster_no, score)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (NewItem n : items) {
        Item it = n.item();
        s.setString(1, it.id());
        s.setString(2, t.id());
        s.setInt(3, n.queryNo());
        s.setString(4, it.documentId());
        s.setInt(5, it.chunk());
        s.setLong(6, it.documentVersion());
        s.setString(7, it.textSha256());
        s.setString(8, Json.tags(it.tags()));
        s.setInt(9, it.rank());
        s.setString(10, Json.ranks(it.ranks()));
        s.setDouble(11, it.value().uncertainty());
        s.setDouble(12, it.value().disagreement());
        s.setInt(13, it.value().cluster());
        s.setDouble(14, it.value().score());
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /** A task by id. */
  public static Optional<Task> task(Connection c, String id) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT t.id, t.name, t.overlap_k, t.adjudicator_role, t.creator, t.model_id,"
                + " t.policy_version, t.created_at,"
                + " (SELECT COUNT(*) FROM judge_item i WHERE i.task_id = t.id)"
                + " FROM judge_task t WHERE t.id = ?")) {
      s.setString(1, id);
      try (ResultSet r = s.executeQuery()) {
        if (!r.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Task(
                r.getString(1),
                r.getString(2),
                queries(c, id),
                r.getInt(3),
                r.getString(4),
                r.getString(5),
                r.getString(6),
                r.getString(7),
                r.getInt(9),
                r.getObject(8, OffsetDateTime.class).toInstant()));
      }
    }
  }

  private static List<String> queries(Connection c, String taskId) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "SELECT query_text FROM judge_query WHERE task_id = ? ORDER BY query_no")) {
      s.setString(1, taskId);
      List<String> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(r.getString(1));
        }
      }
      return out;
    }
  }

  /** The items of a task. */
  public static List<Item> items(Connection c, String taskId) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement("SELECT " + ITEM_COLUMNS + " WHERE i.task_id = ? ORDER BY i.id")) {
      s.setString(1, taskId);
      List<Item> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(item(r));
        }
      }
      return out;
    }
  }

  /**
   * An item by id; with {@code lock}, its row is locked until the transaction ends, so that the
   * labels of one item are decided one at a time (overlap is never exceeded by a race).
   */
  public static Optional<Item> item(Connection c, String id, boolean lock) throws SQLException {
    if (lock) {
      try (PreparedStatement s =
          c.prepareStatement("SELECT id FROM judge_item WHERE id = ? FOR UPDATE")) {
        s.setString(1, id);
        try (ResultSet r = s.executeQuery()) {
          if (!r.next()) {
            return Optional.empty();
          }
        }
      }
    }
    try (PreparedStatement s = c.prepareStatement("SELECT " + ITEM_COLUMNS + " WHERE i.id = ?")) {
      s.setString(1, id);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? Optional.of(item(r)) : Optional.empty();
      }
    }
  }

  private static Item item(ResultSet r) throws SQLException {
    return new Item(
        r.getString(1),
        r.getString(2),
        r.getString(3),
        r.getString(4),
        r.getInt(5),
        r.getLong(6),
        r.getString(7),
        Json.tags(r.getString(8)),
        r.getInt(9),
        Json.ranks(r.getString(10)),
        new ItemValue(r.getDouble(11), r.getDouble(12), r.getInt(13), r.getDouble(14)),
        r.getString(15),
        r.getString(16));
  }
}
