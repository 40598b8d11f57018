package dev.anvil.rbac.diff;

import dev.anvil.rbac.filter.Filter;
import java.util.List;

/**
 * An index that counts the documents a filter matches: what each index backend implements for
 * {@link PolicyDiff}. It must count in the index (a query plus an aggregation over the tags it
 * stores), not by reading and deciding every document, and agree with {@link Filter#matches} on
 * each document's tags.
 */
@FunctionalInterface
public interface DiffIndex {
  /**
   * The documents {@code filter} matches, counted in all and per value of each of {@code tags}.
   *
   * @param filter the documents to count; it names ordered tags' levels by name (as terms), never
   *     by rank, so that it holds whatever ranks the index was written with
   * @param tags the tags to count by, each one with listed values
   * @param samples how many ids to keep, overall and per bucket: the smallest in {@link String}
   *     order, so that the same index gives the same samples
   * @return the counts; buckets may come in any order
   */
  Breakdown breakdown(Filter filter, List<String> tags, int samples);
}
