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
   * Most nodes (conditions, and, or, not) of a filter an index is asked to count: what each backend
   * runs as one query (1,024 is the least clause limit of a Lucene searcher and of an Elasticsearch
   * node, which count fewer than all nodes). {@link PolicyDiff} refuses a larger one.
   */
  int MAX_NODES = 1_024;

  /**
   * Deepest nesting of a filter an index is asked to count, a condition alone being 1: within what
   * a cluster parses (Elasticsearch refuses queries nested deeper than 30 by default, and each
   * backend adds a level or two around the filter). {@link PolicyDiff} refuses a deeper one.
   */
  int MAX_DEPTH = 24;

  /**
   * The documents {@code filter} matches, counted in all and per value of each of {@code tags}.
   *
   * @param filter the documents to count; it names ordered tags' levels by name (as terms), never
   *     by rank, so that it holds whatever ranks the index was written with; at most {@link
   *     #MAX_NODES} nodes, {@link #MAX_DEPTH} deep
   * @param tags the tags to count by, each one with listed values
   * @param samples how many ids to keep, overall and per bucket: the smallest in {@link String}
   *     order, so that the same index gives the same samples
   * @return the counts; buckets may come in any order
   */
  Breakdown breakdown(Filter filter, List<String> tags, int samples);
}
