package dev.anvil.context.index;

import dev.anvil.context.api.Cancellation;
import dev.anvil.context.api.SearchCancelledException;
import dev.anvil.rbac.diff.Breakdown;
import dev.anvil.rbac.diff.DiffIndex;
import dev.anvil.rbac.filter.Filter;
import dev.anvil.rbac.schema.TagSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.QueryTimeout;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.LRUQueryCache;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.QueryCachingPolicy;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TermRangeQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TopScoreDocCollectorManager;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.util.QueryBuilder;

/**
 * One request's point-in-time view of the embedded Lucene index: BM25 and kNN retrieval with a
 * filter inside each (never after), facets, and reading chunks back. Chunks are named by their
 * position in this snapshot, valid only until {@link LuceneIndex#withSnapshot} returns.
 *
 * <p>The caller's {@link Cancellation} is Lucene's {@link QueryTimeout} for every search of the
 * snapshot (checked while documents are scored and while the vector graph is walked, exact fallback
 * included) and is asked again before each chunk is read: once it fires, the snapshot throws {@link
 * SearchCancelledException} instead of returning what it found so far. Not thread-safe.
 */
final class LuceneSnapshot implements IndexSnapshot {
  private final IndexSearcher searcher;
  private final Analyzer analyzer;
  private final Stop stop;
  private StoredFields stored;

  LuceneSnapshot(IndexSearcher shared, Analyzer analyzer, Cancellation cancellation) {
    this.analyzer = analyzer;
    this.stop = new Stop(cancellation);
    if (cancellation == Cancellation.NONE) {
      this.searcher = shared;
    } else {
      // A timeout is per searcher, and the shared one serves every request: wrap the same reader
      // (a cheap object) with the same scoring and caching.
      this.searcher = new IndexSearcher(shared.getIndexReader());
      searcher.setSimilarity(shared.getSimilarity());
      searcher.setQueryCache(shared.getQueryCache());
      searcher.setQueryCachingPolicy(shared.getQueryCachingPolicy());
      searcher.setTimeout(stop);
    }
  }

  /** A ranking of this snapshot's chunk numbers from Lucene's top documents. */
  private static Ranked ranked(TopDocs top) {
    int[] docs = new int[top.scoreDocs.length];
    float[] scores = new float[docs.length];
    for (int i = 0; i < docs.length; i++) {
      docs[i] = top.scoreDocs[i].doc;
      scores[i] = top.scoreDocs[i].score;
    }
    boolean exact = top.totalHits.relation() == TotalHits.Relation.EQUAL_TO;
    return new Ranked(docs, scores, exact ? top.totalHits.value() : COUNTED_EXACTLY_UP_TO, exact);
  }

  /**
   * BM25 over the chunk text (title and body) within {@code filter}; empty if the text has no
   * searchable terms (e.g. only stop words).
   */
  @Override
  public Optional<Ranked> bm25(String text, Filter filter, int n) throws IOException {
    Optional<Query> q = bm25Query(text, filter);
    if (q.isEmpty()) {
      return Optional.empty();
    }
    TopDocs top =
        searcher.search(q.get(), new TopScoreDocCollectorManager(n, COUNTED_EXACTLY_UP_TO));
    stop.check();
    return Optional.of(ranked(top));
  }

  /** The distinct documents per value of each tag among the BM25 matches within {@code filter}. */
  @Override
  public Map<String, Map<String, Long>> facets(String text, Filter filter, List<String> tags)
      throws IOException {
    Optional<Query> q = bm25Query(text, filter);
    if (q.isEmpty()) {
      return Map.of();
    }
    Map<String, Map<String, Long>> facets = searcher.search(q.get(), new TagFacets(tags));
    stop.check();
    return facets;
  }

  /**
   * How many chunks {@code filter} admits, from the filter's bit set cached per segment (Lucene
   * keeps each cached set's count), capped as BM25's count is so that every backend answers alike.
   */
  @Override
  public Ranked admitted(Filter filter) throws IOException {
    int count = searcher.count(LuceneFilters.toQuery(filter));
    stop.check();
    boolean exact = count <= COUNTED_EXACTLY_UP_TO;
    return new Ranked(new int[0], new float[0], exact ? count : COUNTED_EXACTLY_UP_TO, exact);
  }

  /**
   * The {@code k} nearest chunks to {@code vector} within {@code filter}: filtered inside HNSW, or
   * an exact scan of the admitted chunks of a segment where that is cheaper ({@link
   * FilteredKnnQuery}).
   */
  @Override
  public Ranked knn(float[] vector, Filter filter, int k) throws IOException {
    TopDocs top =
        searcher.search(
            new FilteredKnnQuery(IndexFields.VECTOR, vector, k, LuceneFilters.toQuery(filter)), k);
    stop.check();
    return ranked(top);
  }

  /**
   * Chunks within {@code filter} of documents whose id sorts after {@code afterId} (all if empty),
   * ordered by document id then chunk, at most {@code max}.
   */
  @Override
  public int[] byDocumentId(Filter filter, String afterId, int max) throws IOException {
    BooleanQuery.Builder q =
        new BooleanQuery.Builder().add(LuceneFilters.toQuery(filter), Occur.FILTER);
    if (!afterId.isEmpty()) {
      q.add(
          TermRangeQuery.newStringRange(IndexFields.ID, afterId, null, false, false), Occur.FILTER);
    }
    // Ties (the chunks of one document, indexed as one block) keep index order: chunk order.
    TopDocs top =
        searcher.search(
            q.build(), max, new Sort(new SortField(IndexFields.ID, SortField.Type.STRING)));
    stop.check();
    return ranked(top).docs();
  }

  /** Most bit sets one diff keeps: about one per distinct clause of its filters, per segment. */
  private static final int DIFF_CACHE_QUERIES = 10_000;

  /**
   * Most memory they take, evicting the least recently used beyond: at most a bit per chunk each,
   * so some 500 clauses of an index of a million chunks.
   */
  private static final long DIFF_CACHE_BYTES = 64L << 20;

  /**
   * This snapshot as the index of a policy diff: each filter is one query whose matching chunks are
   * counted by document over their tags' doc values. Stops, with {@link SearchCancelledException},
   * once the cancellation fires.
   *
   * <p>The diff gets a searcher of its own over the same reader, with a query cache of its own that
   * keeps every clause: the filters of one diff share most of their clauses (the deny rules, the
   * levels, the departments), so each is evaluated once per segment for the whole diff; and the
   * engine's cache of serving filters is not filled with filters that never search. The cache lives
   * as long as the returned index.
   */
  @Override
  public DiffIndex diffIndex() {
    IndexSearcher diff = new IndexSearcher(searcher.getIndexReader());
    diff.setQueryCache(
        new LRUQueryCache(
            DIFF_CACHE_QUERIES, DIFF_CACHE_BYTES, leaf -> true, Float.POSITIVE_INFINITY));
    diff.setQueryCachingPolicy(EVERY_CLAUSE);
    diff.setTimeout(stop);
    return (filter, tags, samples) -> {
      try {
        Breakdown b =
            diff.search(LuceneFilters.toUncachedQuery(filter), new TagBreakdown(tags, samples));
        stop.check();
        return b;
      } catch (IOException e) {
        throw new UncheckedIOException("counting a policy diff failed", e);
      }
    };
  }

  private static final QueryCachingPolicy EVERY_CLAUSE =
      new QueryCachingPolicy() {
        @Override
        public void onUse(Query query) {}

        @Override
        public boolean shouldCache(Query query) {
          return true;
        }
      };

  /** Reads a chunk named by a ranking of this snapshot. */
  @Override
  public ChunkRecord read(int doc, TagSchema schema) throws IOException {
    stop.check();
    if (stored == null) {
      stored = searcher.storedFields();
    }
    return LuceneIndex.read(stored, doc, schema);
  }

  /** From the id's doc values, read forward once per segment: no stored fields are read. */
  @Override
  public String[] documentIds(int[] docs) throws IOException {
    Integer[] order = new Integer[docs.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> docs[i]));
    List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
    String[] out = new String[docs.length];
    LeafReaderContext leaf = null;
    SortedDocValues ids = null;
    for (int i : order) {
      int doc = docs[i];
      if (leaf == null || doc >= leaf.docBase + leaf.reader().maxDoc()) {
        leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
        ids = DocValues.getSorted(leaf.reader(), IndexFields.ID); // iterates forward only
      }
      int local = doc - leaf.docBase;
      if (ids.docID() != local && !ids.advanceExact(local)) {
        throw new IllegalStateException("chunk " + doc + " has no document id");
      }
      out[i] = ids.lookupOrd(ids.ordValue()).utf8ToString();
    }
    return out;
  }

  /**
   * The stored vector of a chunk named by a ranking of this snapshot (unit length); empty if it has
   * none.
   */
  @Override
  public float[] vector(int doc) throws IOException {
    List<LeafReaderContext> leaves = searcher.getIndexReader().leaves();
    LeafReaderContext leaf = leaves.get(ReaderUtil.subIndex(doc, leaves));
    FloatVectorValues values = leaf.reader().getFloatVectorValues(IndexFields.VECTOR);
    if (values == null) {
      return new float[0];
    }
    KnnVectorValues.DocIndexIterator it = values.iterator();
    int local = doc - leaf.docBase;
    return it.advance(local) == local ? values.vectorValue(it.index()).clone() : new float[0];
  }

  /** Every chunk of a document, in order; empty if it is not indexed. */
  @Override
  public List<ChunkRecord> chunksOf(String id, TagSchema schema) throws IOException {
    List<ChunkRecord> out = new ArrayList<>();
    for (ScoreDoc sd :
        searcher.search(new TermQuery(new Term(IndexFields.ID, id)), Integer.MAX_VALUE).scoreDocs) {
      out.add(read(sd.doc, schema));
    }
    out.sort(Comparator.comparingInt(ChunkRecord::chunk));
    return out;
  }

  private Optional<Query> bm25Query(String text, Filter filter) {
    Query terms = new QueryBuilder(analyzer).createBooleanQuery(IndexFields.TEXT, text);
    if (terms == null) {
      return Optional.empty();
    }
    return Optional.of(
        new BooleanQuery.Builder()
            .add(terms, Occur.MUST)
            .add(LuceneFilters.toQuery(filter), Occur.FILTER)
            .build());
  }

  /** The caller's cancellation as Lucene's timeout; remembers that it fired. */
  private static final class Stop implements QueryTimeout {
    private final Cancellation cancellation;
    private volatile boolean fired;

    Stop(Cancellation cancellation) {
      this.cancellation = cancellation;
    }

    @Override
    public boolean shouldExit() {
      if (!fired && cancellation.isCancelled()) {
        fired = true;
      }
      return fired;
    }

    /** Lucene returns what it found when the timeout fires; the engine returns nothing. */
    void check() {
      if (shouldExit()) {
        throw new SearchCancelledException();
      }
    }
  }
}
