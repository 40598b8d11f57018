package dev.anvil.eval.snapshot;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One final label of a snapshot: a query, the chunk judged (its text as the exporter may read it)
 * and the grade the experts agreed on or an adjudicator decided.
 *
 * @param queryId {@link #queryId(String)} of the query: what splits are carved by
 * @param query the query text
 * @param documentId the document judged
 * @param chunk its chunk number
 * @param title the document's title (may be empty)
 * @param text the chunk's text, as judged (its SHA-256 is {@code textSha256})
 * @param textSha256 SHA-256 (hex) of {@code text}
 * @param label 0 (irrelevant) to 3 (perfectly relevant)
 * @param basis {@code agreed} or {@code adjudicated}
 * @param annotators the subjects whose labels it rests on (the adjudicator's last)
 * @param tags the chunk's tags when judged (classification among them): a job trained on this
 *     example is governed by them and its model inherits them
 */
public record JudgedExample(
    String queryId,
    String query,
    String documentId,
    int chunk,
    String title,
    String text,
    String textSha256,
    int label,
    String basis,
    List<String> annotators,
    Map<String, Object> tags) {
  /** The lowest grade. */
  public static final int MIN_LABEL = 0;

  /** The highest grade. */
  public static final int MAX_LABEL = 3;

  /** Longest query kept, in characters (a judging task's limit). */
  public static final int MAX_QUERY = 1_000;

  /** Longest chunk text kept, in characters. */
  public static final int MAX_TEXT = 100_000;

  public JudgedExample {
    Objects.requireNonNull(query, "query");
    Objects.requireNonNull(documentId, "documentId");
    title = title == null ? "" : title;
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(basis, "basis");
    if (label < MIN_LABEL || label > MAX_LABEL) {
      throw new SnapshotException(
          "field 'label': expected " + MIN_LABEL + " to " + MAX_LABEL + ", was " + label);
    }
    if (query.isBlank() || query.length() > MAX_QUERY) {
      throw new SnapshotException(
          "field 'query': expected 1 to " + MAX_QUERY + " characters, was " + query.length());
    }
    if (text.length() > MAX_TEXT) {
      throw new SnapshotException(
          "field 'text': expected at most " + MAX_TEXT + " characters, was " + text.length());
    }
    if (!queryId(query).equals(queryId)) {
      throw new SnapshotException(
          "field 'query_id': expected " + queryId(query) + " (of the query), was " + queryId);
    }
    if (!sha256(text).equals(textSha256)) {
      throw new SnapshotException(
          "field 'text_sha256': the text's SHA-256 is " + sha256(text) + ", was " + textSha256);
    }
    annotators = List.copyOf(annotators);
    tags = Map.copyOf(tags);
  }

  /** {@code documentId#chunk}: the chunk's id in the expert evaluation set. */
  public String key() {
    return documentId + "#" + chunk;
  }

  /**
   * A query's id: the first 16 hex digits of the SHA-256 of its text (UTF-8). The same text has the
   * same id in every snapshot, so overlap between two snapshots is found by id.
   */
  public static String queryId(String query) {
    return sha256(query).substring(0, 16);
  }

  /** SHA-256 (hex) of a text's UTF-8 bytes. */
  public static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
