package dev.anvil.context.index;

import java.io.IOException;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.search.AcceptDocs;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.search.knn.KnnCollectorManager;

/**
 * A filtered kNN query that goes straight to an exact scan of a segment's admitted vectors when the
 * graph search would visit more of them than the scan reads.
 *
 * <p>Lucene searches each segment's graph first, allowed to visit as many nodes as the filter
 * admits, and falls back to scanning those documents exactly when the graph search runs out: at a
 * selective filter the graph pass is wasted, and the search costs about twice the scan. A graph
 * search that finds {@code k} nearest among {@code n} vectors visits about {@code k·ln n} nodes;
 * when the filter admits a share {@code s} of them, about {@code k·ln(n)/s}, since most nodes it
 * passes are not admitted. The scan reads {@code s·n}. So the scan is cheaper, and the graph pass
 * would run out anyway, when {@code admitted² < k·n·ln n}. The answer is then exact: recall can
 * only improve.
 *
 * <p>Public for the benchmarks that compare it with Lucene's own query on the same filter.
 */
public final class FilteredKnnQuery extends KnnFloatVectorQuery {
  private static final TopDocs SCAN_INSTEAD =
      new TopDocs(new TotalHits(0, TotalHits.Relation.GREATER_THAN_OR_EQUAL_TO), new ScoreDoc[0]);

  /**
   * The {@code k} nearest to {@code target} in {@code field} among the chunks {@code filter}
   * admits.
   */
  public FilteredKnnQuery(String field, float[] target, int k, Query filter) {
    super(field, target, k, filter);
  }

  @Override
  protected TopDocs approximateSearch(
      LeafReaderContext context,
      AcceptDocs acceptDocs,
      int visitedLimit,
      KnnCollectorManager knnCollectorManager)
      throws IOException {
    // Lucene passes the filter's cost + 1 as the limit of a filtered search (an unfiltered one has
    // no limit), and scans exactly when the graph search returns incomplete results.
    if (visitedLimit != Integer.MAX_VALUE
        && scanIsCheaper(visitedLimit - 1L, context.reader().maxDoc(), k)) {
      return SCAN_INSTEAD;
    }
    return super.approximateSearch(context, acceptDocs, visitedLimit, knnCollectorManager);
  }

  /** Whether scanning {@code admitted} of {@code n} vectors beats a graph search for {@code k}. */
  static boolean scanIsCheaper(long admitted, int n, int k) {
    return n > 1 && (double) admitted * admitted < (double) k * n * Math.log(n);
  }
}
