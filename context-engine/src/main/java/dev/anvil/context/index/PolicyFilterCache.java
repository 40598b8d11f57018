package dev.anvil.context.index;

import java.io.IOException;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.LRUQueryCache;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryCachingPolicy;
import org.apache.lucene.search.SearcherFactory;

/**
 * Each compiled access filter evaluated once per segment: a bit set kept in Lucene's query cache,
 * keyed by the filter (its {@link PolicyFilterQuery}) and the segment's core, dropped with the
 * segment or when the least recently used filters no longer fit. BM25, kNN and the visible count of
 * every later search by the same principal under the same policy version then read the bit set
 * instead of evaluating the filter's terms, ranges and negations again.
 *
 * <p>Why not Lucene's defaults: they cache nothing in segments under 10,000 documents, only a query
 * seen several times among the last 256, and never a filter much costlier than the query it
 * filters; a policy filter is by design reused by every search of its principal, so its first
 * evaluation is always worth keeping. Nothing else is cached: other queries are one-offs.
 */
final class PolicyFilterCache {
  /** As Lucene's default cache: at most 1,000 filters. */
  private static final int MAX_FILTERS = 1_000;

  private final LRUQueryCache cache;

  /**
   * @param maxBytes the most memory the cached bit sets may use (about one bit per chunk per cached
   *     filter)
   */
  PolicyFilterCache(long maxBytes) {
    // Every segment qualifies, and a filter is cached however cheap the query it filters.
    this.cache = new LRUQueryCache(MAX_FILTERS, maxBytes, leaf -> true, Float.POSITIVE_INFINITY);
  }

  /** As Lucene's default: 32 MiB, or 5% of the heap if that is less. */
  static PolicyFilterCache withDefaultSize() {
    return new PolicyFilterCache(Math.min(32L << 20, Runtime.getRuntime().maxMemory() / 20));
  }

  /** Makes searchers that cache policy filters, and only them, here. */
  SearcherFactory searcherFactory() {
    return new SearcherFactory() {
      @Override
      public IndexSearcher newSearcher(IndexReader reader, IndexReader previous) {
        IndexSearcher searcher = new IndexSearcher(reader);
        searcher.setQueryCache(cache);
        searcher.setQueryCachingPolicy(POLICY_FILTERS_ONLY);
        return searcher;
      }
    };
  }

  /** Searches that found their filter already evaluated for a segment. */
  long hits() {
    return cache.getHitCount();
  }

  /** Bit sets held: one per (filter, segment). */
  long cached() {
    return cache.getCacheCount();
  }

  private static final QueryCachingPolicy POLICY_FILTERS_ONLY =
      new QueryCachingPolicy() {
        @Override
        public void onUse(Query query) {}

        @Override
        public boolean shouldCache(Query query) throws IOException {
          return query instanceof PolicyFilterQuery;
        }
      };
}
