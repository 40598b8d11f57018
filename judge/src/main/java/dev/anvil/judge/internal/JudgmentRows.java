package dev.anvil.judge.internal;

import dev.anvil.judge.Annotator;
import dev.anvil.judge.Item;
import dev.anvil.judge.Judgment;
import dev.anvil.judge.Source;
import dev.anvil.judge.Status;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Judgments and adjudications in the store. */
public final class JudgmentRows {
  private static final String COLUMNS =
      "j.id, j.item_id, i.task_id, q.query_text, i.document_id, i.chunk_no, j.document_version,"
          + " j.text_sha256, j.label, j.annotator, j.annotator_roles, j.source, j.status,"
          + " j.rationale, t.model_id, t.policy_version, i.rank_fused, j.tags, j.policy_version,"
          + " j.created_at, j.updated_at"
          + " FROM judge_judgment j"
          + " JOIN judge_item i ON i.id = j.item_id"
          + " JOIN judge_query q ON q.task_id = i.task_id AND q.query_no = i.query_no"
          + " JOIN judge_task t ON t.id = i.task_id";

  private JudgmentRows() {}

  /**
   * An adjudicator's decision.
   *
   * @param itemId the item
   * @param label the final label
   * @param adjudicator who, from the verified token
   * @param rationale why, or empty
   * @param textSha256 the chunk text decided on
   * @param policyVersion the policy set that allowed it
   * @param decidedAt when
   */
  public record Adjudication(
      String itemId,
      int label,
      Annotator adjudicator,
      String rationale,
      String textSha256,
      String policyVersion,
      Instant decidedAt) {}

  /** Every judgment of a task's items. */
  public static List<Judgment> ofTask(Connection c, String taskId) throws SQLException {
    return query(
        c, "SELECT " + COLUMNS + " WHERE i.task_id = ? ORDER BY j.item_id, j.annotator", taskId);
  }

  /** Every judgment of one item. */
  public static List<Judgment> ofItem(Connection c, String itemId) throws SQLException {
    return query(c, "SELECT " + COLUMNS + " WHERE j.item_id = ? ORDER BY j.annotator", itemId);
  }

  private static List<Judgment> query(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, arg);
      List<Judgment> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(judgment(r));
        }
      }
      return out;
    }
  }

  /** Inserts a new judgment or replaces the annotator's one of the same item (same id). */
  public static void save(Connection c, Judgment j, boolean exists) throws SQLException {
    String sql =
        exists
            ? "UPDATE judge_judgment SET label = ?, source = ?, status = ?, rationale = ?,"
                + " document_version = ?, text_sha256 = ?, tags = ?, policy_version = ?,"
                + " annotator_roles = ?, updated_at = ? WHERE id = ? AND item_id = ? AND annotator = ?"
            : "INSERT INTO judge_judgment (label, source, status, rationale, document_version,"
                + " text_sha256, tags, policy_version, annotator_roles, updated_at, id, item_id,"
                + " annotator, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setInt(1, j.label());
      s.setString(2, j.source().name());
      s.setString(3, j.status().name());
      s.setString(4, j.rationale());
      s.setLong(5, j.documentVersion());
      s.setString(6, j.textSha256());
      s.setString(7, Json.tags(j.tags()));
      s.setString(8, j.policyVersion());
      s.setString(9, String.join(",", j.annotator().roles()));
      s.setObject(10, OffsetDateTime.ofInstant(j.updatedAt(), ZoneOffset.UTC));
      s.setString(11, j.id());
      s.setString(12, j.itemId());
      s.setString(13, j.annotator().subject());
      if (!exists) {
        s.setObject(14, OffsetDateTime.ofInstant(j.createdAt(), ZoneOffset.UTC));
      }
      if (s.executeUpdate() != 1) {
        throw new SQLException("judgment " + j.id() + " was not saved");
      }
    }
  }

  /** The adjudication of an item, if any. */
  public static Optional<Adjudication> adjudication(Connection c, String itemId)
      throws SQLException {
    List<Adjudication> a =
        adjudications(c, "SELECT " + ADJ_COLUMNS + " WHERE a.item_id = ?", itemId);
    return a.isEmpty() ? Optional.empty() : Optional.of(a.getFirst());
  }

  /** The adjudications of a task's items, by item id. */
  public static Map<String, Adjudication> adjudicationsOfTask(Connection c, String taskId)
      throws SQLException {
    Map<String, Adjudication> out = new java.util.TreeMap<>();
    for (Adjudication a :
        adjudications(
            c,
            "SELECT " + ADJ_COLUMNS + " JOIN judge_item i ON i.id = a.item_id WHERE i.task_id = ?",
            taskId)) {
      out.put(a.itemId(), a);
    }
    return out;
  }

  private static final String ADJ_COLUMNS =
      "a.item_id, a.label, a.adjudicator, a.adjudicator_roles, a.rationale, a.text_sha256,"
          + " a.policy_version, a.decided_at FROM judge_adjudication a";

  private static List<Adjudication> adjudications(Connection c, String sql, String arg)
      throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, arg);
      List<Adjudication> out = new ArrayList<>();
      try (ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(
              new Adjudication(
                  r.getString(1),
                  r.getInt(2),
                  new Annotator(r.getString(3), roles(r.getString(4))),
                  r.getString(5),
                  r.getString(6),
                  r.getString(7),
                  r.getObject(8, OffsetDateTime.class).toInstant()));
        }
      }
      return out;
    }
  }

  /** Records an adjudication (an item has at most one: a second fails on the primary key). */
  public static void insert(Connection c, Adjudication a) throws SQLException {
    try (PreparedStatement s =
        c.prepareStatement(
            "INSERT INTO judge_adjudication (item_id, label, adjudicator, adjudicator_roles,"
                + " rationale, text_sha256, policy_version, decided_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, a.itemId());
      s.setInt(2, a.label());
      s.setString(3, a.adjudicator().subject());
      s.setString(4, String.join(",", a.adjudicator().roles()));
      s.setString(5, a.rationale());
      s.setString(6, a.textSha256());
      s.setString(7, a.policyVersion());
      s.setObject(8, OffsetDateTime.ofInstant(a.decidedAt(), ZoneOffset.UTC));
      s.executeUpdate();
    }
  }

  private static List<String> roles(String joined) {
    return joined.isEmpty() ? List.of() : Arrays.asList(joined.split(","));
  }

  private static Judgment judgment(ResultSet r) throws SQLException {
    return new Judgment(
        r.getString(1),
        r.getString(2),
        r.getString(3),
        r.getString(4),
        r.getString(5),
        r.getInt(6),
        r.getLong(7),
        r.getString(8),
        r.getInt(9),
        new Annotator(r.getString(10), roles(r.getString(11))),
        Source.valueOf(r.getString(12)),
        Status.valueOf(r.getString(13)),
        r.getString(14),
        r.getString(15),
        r.getString(16),
        r.getInt(17),
        Json.tags(r.getString(18)),
        r.getString(19),
        r.getObject(20, OffsetDateTime.class).toInstant(),
        r.getObject(21, OffsetDateTime.class).toInstant());
  }

  /** A judgment of {@code item} with its fields as the item gives them. */
  public static Judgment of(
      String id,
      Item item,
      long documentVersion,
      String textSha256,
      int label,
      Annotator annotator,
      Source source,
      Status status,
      String rationale,
      Map<String, Object> tags,
      String policyVersion,
      Instant createdAt,
      Instant updatedAt) {
    return new Judgment(
        id,
        item.id(),
        item.taskId(),
        item.query(),
        item.documentId(),
        item.chunk(),
        documentVersion,
        textSha256,
        label,
        annotator,
        source,
        status,
        rationale,
        item.modelId(),
        item.policyVersion(),
        item.rank(),
        tags,
        policyVersion,
        createdAt,
        updatedAt);
  }
}
