package dev.anvil.bench;

import dev.anvil.context.index.IndexFields;
import dev.anvil.context.search.Fusion;
import dev.anvil.context.search.Rrf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.QueryBuilder;

/**
 * The engine's hybrid search written by hand in raw Lucene, the baseline of the search benchmarks:
 * BM25 (+ filter) and kNN (+ the same filter inside HNSW), fused by RRF, the top hits' stored
 * fields read.
 */
final class RawHybrid {
  private static final QueryBuilder BM25 = new QueryBuilder(new EnglishAnalyzer());

  private RawHybrid() {}

  /** The top {@code k} of {@code candidates} per retriever; {@code filter} may be null. */
  static List<Document> search(
      IndexSearcher searcher, String text, float[] vector, Query filter, int candidates, int k) {
    try {
      BooleanQuery.Builder bm25 =
          new BooleanQuery.Builder()
              .add(BM25.createBooleanQuery(IndexFields.TEXT, text), Occur.MUST);
      if (filter != null) {
        bm25.add(filter, Occur.FILTER);
      }
      TopDocs a = searcher.search(bm25.build(), candidates);
      TopDocs b =
          searcher.search(
              new KnnFloatVectorQuery(IndexFields.VECTOR, vector, candidates, filter), candidates);
      List<Document> out = new ArrayList<>();
      StoredFields stored = searcher.storedFields();
      for (Rrf.Fused f : Rrf.fuse(List.of(docs(a), docs(b)), Fusion.DEFAULT.k())) {
        if (out.size() == k) {
          break;
        }
        out.add(stored.document(f.doc()));
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int[] docs(TopDocs top) {
    return Arrays.stream(top.scoreDocs).mapToInt(sd -> sd.doc).toArray();
  }
}
