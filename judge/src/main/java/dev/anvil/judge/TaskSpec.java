package dev.anvil.judge;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a task's creator asks for. Every field is bounded: a task is a few hundred queries, not a
 * way to make the server rank the corpus without end.
 *
 * @param id 1 to 64 of a-z, 0-9 and '-', starting with a letter or digit
 * @param name readable name (at most 200 characters; the id if empty)
 * @param queries 1 to {@link #MAX_QUERIES} queries of at most {@link #MAX_QUERY_CHARS} characters
 * @param overlap annotators per item, 1 to {@link #MAX_OVERLAP}
 * @param depth results of each retriever considered per query, 1 to {@link #MAX_DEPTH}
 * @param adjudicatorRole the role that settles disagreements ({@value #DEFAULT_ADJUDICATOR} if
 *     empty)
 */
public record TaskSpec(
    String id, String name, List<String> queries, int overlap, int depth, String adjudicatorRole) {
  public static final int MAX_QUERIES = 200;
  public static final int MAX_QUERY_CHARS = 1000;
  public static final int MAX_OVERLAP = 10;
  public static final int MAX_DEPTH = 50;
  public static final int DEFAULT_OVERLAP = 3;
  public static final int DEFAULT_DEPTH = 10;
  public static final String DEFAULT_ADJUDICATOR = "adjudicator";

  private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

  public TaskSpec {
    Objects.requireNonNull(id, "id");
    if (!ID.matcher(id).matches()) {
      throw new InvalidJudgmentException(
          "id", "expected 1 to 64 of a-z, 0-9 and '-', was '" + clip(id) + "'");
    }
    name = name == null || name.isBlank() ? id : name;
    if (name.length() > 200) {
      throw new InvalidJudgmentException("name", "at most 200 characters, was " + name.length());
    }
    queries = List.copyOf(queries);
    if (queries.isEmpty() || queries.size() > MAX_QUERIES) {
      throw new InvalidJudgmentException(
          "queries", "expected 1 to " + MAX_QUERIES + " queries, was " + queries.size());
    }
    for (int i = 0; i < queries.size(); i++) {
      String q = queries.get(i);
      if (q.isBlank() || q.length() > MAX_QUERY_CHARS) {
        throw new InvalidJudgmentException(
            "queries[" + i + "]",
            "expected 1 to " + MAX_QUERY_CHARS + " characters, was " + q.length());
      }
    }
    if (queries.stream().distinct().count() != queries.size()) {
      throw new InvalidJudgmentException("queries", "a query appears twice");
    }
    if (overlap < 1 || overlap > MAX_OVERLAP) {
      throw new InvalidJudgmentException(
          "overlap", "expected 1 to " + MAX_OVERLAP + " annotators per item, was " + overlap);
    }
    if (depth < 1 || depth > MAX_DEPTH) {
      throw new InvalidJudgmentException(
          "depth", "expected 1 to " + MAX_DEPTH + " results per retriever, was " + depth);
    }
    adjudicatorRole =
        adjudicatorRole == null || adjudicatorRole.isBlank()
            ? DEFAULT_ADJUDICATOR
            : adjudicatorRole;
    if (adjudicatorRole.length() > 100) {
      throw new InvalidJudgmentException("adjudicator_role", "at most 100 characters");
    }
  }

  static String clip(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
